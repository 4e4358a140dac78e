/** Every fuzz target, in the order `npm run fuzz` runs them. */
import { bankProfileTarget, configTarget } from './config.fuzz.ts';
import { escposStatusTarget } from './escpos-status.fuzz.ts';
import { evdevTarget } from './evdev.fuzz.ts';
import { iso8583Target } from './iso8583.fuzz.ts';
import { mqttApiTarget } from './mqtt-api.fuzz.ts';
import { pinPadTarget } from './pin-pad.fuzz.ts';
import { purseTarget } from './purse.fuzz.ts';
import { reconFileTarget } from './recon-file.fuzz.ts';
import type { FuzzTarget } from './target.ts';

export const TARGETS: FuzzTarget[] = [
  iso8583Target('unionpay'),
  iso8583Target('ascii-x919'),
  mqttApiTarget,
  escposStatusTarget,
  evdevTarget,
  reconFileTarget,
  configTarget,
  bankProfileTarget,
  pinPadTarget,
  purseTarget,
];
