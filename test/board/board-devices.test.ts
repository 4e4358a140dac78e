/**
 * The virtual kiosk board (docs/virtual-board.md): one boot of the Debian guest for the whole file, then every device
 * checked from inside the guest against facts written down here — screen geometry and pixels, a touch as evdev
 * events, both serial ports, GPIO lines, the I2C chips, a card through pcscd + vpcd — plus systemd and the network's
 * limits. TCG runs the guest 10-30x slower than the host: timeouts are generous, waits are on real state.
 */
import anyTest, { type TestFn } from 'ava';
import { once } from 'node:events';
import { readFile, stat, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { join } from 'node:path';
import { loadImage, createCanvas } from '@napi-rs/canvas';
import { SerialPort } from 'serialport';
import { personalise } from '../../sim/card/issuance.ts';
import { VIRTUAL_CARD_ATR, VirtualCard } from '../../sim/card/virtual-card.ts';
import { VpcdConnector } from '../../sim/card/vpcd-connector.ts';
import { bootGuest, GUEST_PATHS, pollUntil, type Guest, sh } from './guest.ts';

/** `served` is one object shared by every test's copy of the context: the host service counts there. */
const test = anyTest as TestFn<{ guest: Guest; hostService: net.Server; served: { connections: number } }>;

/** A host loopback service the guest reaches as quancun-host:1883, as it will reach the broker. */
const FORWARDED_GUEST_PORT = 1883;
const GREETING = 'hello from the host\n';

test.before(async (t) => {
  t.timeout(900_000, 'building the image (first run only) and booting under TCG');
  const served = { connections: 0 };
  const hostService = net.createServer((socket) => {
    served.connections++;
    socket.end(GREETING);
  });
  await new Promise<void>((resolve) => hostService.listen(0, '127.0.0.1', resolve));
  const hostPort = (hostService.address() as net.AddressInfo).port;
  t.context.served = served;
  t.context.hostService = hostService;
  const started = Date.now();
  t.context.guest = await bootGuest({ forwards: [{ guestPort: FORWARDED_GUEST_PORT, hostPort }] });
  t.log(`guest booted in ${((Date.now() - started) / 1000).toFixed(1)} s`);
});

test.after.always(async (t) => {
  await t.context.guest?.stop();
  t.context.hostService?.close();
});


test('the guest: systemd is PID 1, the project and the host node are shared, the board unit ran', async (t) => {
  t.timeout(180_000);
  const { guest } = t.context;
  t.is(await sh(guest, 'cat /proc/1/comm'), 'systemd');
  t.is(await sh(guest, 'systemctl show -P ActiveState quancun-board.service'), 'active');
  t.is(await sh(guest, `cat ${GUEST_PATHS.project}/package.json | grep -c '"name": "quancun"'`), '1');
  t.is(await sh(guest, 'node --version'), process.version);
  // The native addons built on the host load in the guest (same bookworm glibc).
  t.is(await sh(guest, `cd ${GUEST_PATHS.project} && node -e "for (const m of ['pcsclite', 'i2c-bus', 'onoff']) require(m); console.log('ok')"`), 'ok');
});

test('a Type=notify unit in the guest reaches active once it notifies', async (t) => {
  t.timeout(180_000);
  const { guest } = t.context;
  await guest.writeFile('/etc/systemd/system/board-smoke.service', [
    '[Service]', 'Type=notify', 'NotifyAccess=all',
    "ExecStart=/bin/sh -c 'echo smoke starting; systemd-notify --ready; exec sleep infinity'", '',
  ].join('\n'));
  await sh(guest, 'systemctl daemon-reload && systemctl start --no-block board-smoke.service');
  await guest.waitForUnit('board-smoke.service', 'active', 120_000);
  t.is(await sh(guest, 'systemctl show -P Type board-smoke.service'), 'notify');
  t.regex(await guest.journal('board-smoke.service'), /smoke starting/);
});

test('screen: /dev/fb0 is 1280x800 XRGB8888, and pixels written there are in the host screendump where they were put', async (t) => {
  t.timeout(180_000);
  const { guest } = t.context;
  const fb = await sh(guest, 'cd /sys/class/graphics/fb0 && cat name virtual_size bits_per_pixel stride');
  t.deepEqual(fb.split('\n'), ['bochs-drmdrmfb', '1280,800', '32', '5120']);

  // A black frame with a red box at x 100-299, y 50-149 and a green one at x 1000-1199, y 600-749 (XRGB8888 in
  // memory order: B, G, R, X).
  const frame = Buffer.alloc(5120 * 800);
  const box = (x0: number, y0: number, x1: number, y1: number, bgrx: number[]) => {
    for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) frame.set(bgrx, y * 5120 + x * 4);
  };
  box(100, 50, 299, 149, [0, 0, 255, 0]);
  box(1000, 600, 1199, 749, [0, 255, 0, 0]);
  await writeFile(join(guest.exchangeDir, 'frame.raw'), frame);
  await sh(guest, `cat ${GUEST_PATHS.exchange}/frame.raw >/dev/fb0`);

  const pixelsAt = async (points: [number, number][]) => {
    const image = await loadImage(await guest.screendump());
    const canvas = createCanvas(image.width, image.height);
    const context = canvas.getContext('2d');
    context.drawImage(image, 0, 0);
    const { data } = context.getImageData(0, 0, image.width, image.height);
    return { size: [image.width, image.height], rgb: points.map(([x, y]) => [...data.subarray((y * image.width + x) * 4, (y * image.width + x) * 4 + 3)]) };
  };
  const red = [255, 0, 0], green = [0, 255, 0], black = [0, 0, 0];
  const points: [number, number][] = [[100, 50], [299, 149], [99, 50], [300, 149], [100, 150], [1000, 600], [1199, 749], [1200, 749], [0, 0], [1279, 799]];
  // The guest's framebuffer reaches QEMU's display through the DRM driver's flush worker: poll the dump.
  const seen = await pollUntil('the boxes on the screen', 60_000, async () => {
    const dump = await pixelsAt(points);
    return dump.rgb[0]![0] === 255 && dump.rgb[5]![1] === 255 ? dump : false;
  }, 500);
  t.deepEqual(seen.size, [1280, 800]);
  t.deepEqual(seen.rgb, [red, red, black, black, black, green, green, black, black, black]);
});

test('touch: a tap injected at screen pixel (640, 400) is ABS_X 16396, ABS_Y 16404, BTN_LEFT down then up in the guest', async (t) => {
  t.timeout(180_000);
  const { guest } = t.context;
  t.is(await sh(guest, 'cat /sys/class/input/$(basename $(readlink -f /dev/input/touchscreen))/device/name'), 'QEMU Virtio Tablet');
  // The reader holds the device (and its output file) open before the tap, and says so through the exchange folder.
  await sh(guest, `systemd-run --unit=touch-probe --collect sh -c 'exec 3</dev/input/touchscreen >${GUEST_PATHS.exchange}/touch.bin && ` +
    `touch ${GUEST_PATHS.exchange}/touch.ready && exec cat <&3'`);
  await pollUntil('the touch reader', 60_000, () => stat(join(guest.exchangeDir, 'touch.ready')).then(() => true, () => false));
  await guest.touch(640, 400);

  // struct input_event on x86-64: 16 bytes of time, u16 type, u16 code, s32 value.
  const EV_SYN = 0, EV_KEY = 1, EV_ABS = 3, BTN_LEFT = 0x110, ABS_X = 0, ABS_Y = 1;
  const events = await pollUntil('the release as evdev events', 60_000, async () => {
    const bytes = await readFile(join(guest.exchangeDir, 'touch.bin'));
    const list = [];
    for (let at = 0; at + 24 <= bytes.length; at += 24) {
      list.push({ type: bytes.readUInt16LE(at + 16), code: bytes.readUInt16LE(at + 18), value: bytes.readInt32LE(at + 20) });
    }
    const released = list.findIndex((e) => e.type === EV_KEY && e.code === BTN_LEFT && e.value === 0);
    return released >= 0 && list.slice(released).some((e) => e.type === EV_SYN) ? list : false;
  });
  await sh(guest, 'systemctl stop touch-probe.service');
  t.deepEqual(events.filter((e) => e.type !== EV_SYN), [
    { type: EV_ABS, code: ABS_X, value: 16396 }, // round(640 * 32767 / 1279)
    { type: EV_ABS, code: ABS_Y, value: 16404 }, // round(400 * 32767 / 799)
    { type: EV_KEY, code: BTN_LEFT, value: 1 },
    { type: EV_KEY, code: BTN_LEFT, value: 0 },
  ]);
});

for (const tty of ['ttyS1', 'ttyS2'] as const) {
  test(`serial: bytes from the host pty arrive at the guest's /dev/${tty}, and the guest's answer comes back`, async (t) => {
    t.timeout(180_000);
    const { guest } = t.context;
    const sent = `ping ${tty} from the host`;
    const answer = `pong from the guest on ${tty}`;
    const ready = `${tty}.ready`;
    // The guest opens the port (raw) before the host writes: bytes reaching a closed 8250 port are dropped. It runs
    // straight from the guest agent, not as a unit: a unit's shell is a session leader, the port would become its
    // controlling terminal, and the kernel hangs such a port up when the shell exits, dropping the unsent answer.
    const guestSide = guest.exec(`exec 3<>/dev/${tty} && stty raw -echo 9600 <&3 && touch ${GUEST_PATHS.exchange}/${ready} && ` +
      `head -c ${sent.length} <&3 && printf '%s' '${answer}' >&3`);
    await pollUntil(`${tty} open in the guest`, 60_000, () => stat(join(guest.exchangeDir, ready)).then(() => true, () => false));

    const port = new SerialPort({ path: guest.ptys[tty], baudRate: 9600 });
    await once(port, 'open');
    let received = '';
    port.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    port.write(sent);
    await pollUntil(`the guest's answer on ${tty}`, 60_000, async () => received.length >= answer.length);
    await new Promise((resolve) => port.close(resolve));
    t.deepEqual(await guestSide, { stdout: sent, stderr: '', code: 0 });
    t.is(received, answer);
  });
}

test('GPIO: gpio-sim chip "quancun-board", 8 named lines; a pulled input is read through sysfs, a sysfs output is seen by the simulator', async (t) => {
  t.timeout(180_000);
  const { guest } = t.context;
  const chip = await sh(guest, 'grep -lx quancun-board /sys/class/gpio/gpiochip*/label | xargs dirname');
  const [base, ngpio] = (await sh(guest, `cat ${chip}/base ${chip}/ngpio`)).split('\n').map(Number);
  t.is(ngpio, 8);
  // The simulator's side of the lines: /sys/devices/platform/<device>/<chip>/sim_gpioN/{pull,value}.
  const config = '/sys/kernel/config/gpio-sim/quancun';
  const sim = await sh(guest, `echo /sys/devices/platform/$(cat ${config}/dev_name)/$(cat ${config}/bank0/chip_name)`);
  t.is(await sh(guest, `cat ${config}/bank0/line0/name ${config}/bank0/line1/name ${config}/bank0/line6/name`), 'door\nled-ready\nspare-6');

  // Line 6 (spare-6) as an input: what the simulator pulls is what sysfs reads. (The door line's edges have their
  // own test, running at the same time.)
  const input = base! + 6;
  await sh(guest, `echo ${input} >/sys/class/gpio/export && echo in >/sys/class/gpio/gpio${input}/direction`);
  await sh(guest, `echo pull-up >${sim}/sim_gpio6/pull`);
  t.is(await sh(guest, `cat /sys/class/gpio/gpio${input}/value`), '1');
  await sh(guest, `echo pull-down >${sim}/sim_gpio6/pull`);
  t.is(await sh(guest, `cat /sys/class/gpio/gpio${input}/value`), '0');

  // Line 1 (led-ready) as an output: what sysfs drives is what the simulator sees.
  const led = base! + 1;
  await sh(guest, `echo ${led} >/sys/class/gpio/export && echo out >/sys/class/gpio/gpio${led}/direction`);
  await sh(guest, `echo 1 >/sys/class/gpio/gpio${led}/value`);
  t.is(await sh(guest, `cat ${sim}/sim_gpio1/value`), '1');
  await sh(guest, `echo 0 >/sys/class/gpio/gpio${led}/value`);
  t.is(await sh(guest, `cat ${sim}/sim_gpio1/value`), '0');
  await sh(guest, `echo ${input} >/sys/class/gpio/unexport && echo ${led} >/sys/class/gpio/unexport`);
});

test("GPIO edges: the project's onoff backend in the guest gets the door line's rising and falling edges from gpio-sim", async (t) => {
  t.timeout(240_000);
  const { guest } = t.context;
  const progress = join(guest.exchangeDir, 'gpio-edges.json');
  const sim = '/sys/devices/platform/gpio-sim.0/gpiochip0/sim_gpio0/pull';
  const probe = guest.exec(`cd ${GUEST_PATHS.project} && node --import tsx test/board/in-guest/gpio-probe.ts ${GUEST_PATHS.exchange}/gpio-edges.json 2`, { timeoutMs: 180_000 });
  const edgesSeen = (n: number) => pollUntil(`${n} edge(s) in the guest`, 180_000, () =>
    readFile(progress, 'utf8').then((text) => (JSON.parse(text) as number[]).length === n, () => false));
  await edgesSeen(0);
  await sh(guest, `echo pull-up >${sim}`);
  await edgesSeen(1);
  await sh(guest, `echo pull-down >${sim}`);
  const { stdout, stderr, code } = await probe;
  t.is(code, 0, stderr);
  t.deepEqual(JSON.parse(stdout), { line: 1016, edges: [1, 0] });
});

test('I2C: i2c-stub on /dev/i2c-1 with chips at 0x48 and 0x50; SMBus byte and block transfers read back what was written', async (t) => {
  t.timeout(180_000);
  const { guest } = t.context;
  t.is(await sh(guest, 'cat /sys/bus/i2c/devices/i2c-1/name'), 'SMBus stub driver');
  // A stub chip answers at its address (registers start at 0); no other address does. Registers 0xc0 and up: the
  // drivers' test beside this one uses the EEPROM's first 50 bytes and the LM75's register 0.
  t.is(await sh(guest, 'i2cget -y 1 0x48 0xff && i2cget -y 1 0x50 0xff'), '0x00\n0x00');
  t.not((await guest.exec('i2cget -y 1 0x51 0x00')).code, 0);
  await sh(guest, 'i2cset -y 1 0x50 0xc0 0xa5');
  t.is(await sh(guest, 'i2cget -y 1 0x50 0xc0'), '0xa5');
  await sh(guest, 'i2cset -y 1 0x50 0xd0 0x51 0x43 0x01 i');
  t.is(await sh(guest, 'i2cget -y 1 0x50 0xd0 i 3'), '0x51 0x43 0x01');
});

test("I2C: the project's EEPROM (board identity) and LM75 drivers work on i2c-stub through i2c-bus (SMBus transfers)", async (t) => {
  t.timeout(240_000);
  const { guest } = t.context;
  // The stub's register 0 as an SMBus word: 0x8019 is the bytes 19 80 on the wire, MSB first for an LM75: 25.5 °C.
  await sh(guest, 'i2cset -y 1 0x48 0x00 0x8019 w');
  const out = await sh(guest, `cd ${GUEST_PATHS.project} && node --import tsx test/board/in-guest/i2c-probe.ts 1`, 180_000);
  const result = JSON.parse(out) as Record<string, { ok: boolean; value?: unknown; code?: string; message?: string }>;
  t.like(result.identityWrite, { ok: true });
  t.deepEqual(result.identityRead, { ok: true, value: {
    kioskId: 'QY-K0017', serial: 'QC2026110001', hardwareRevision: 'B2', provisionedAt: '2026-11-01T00:00:00.000Z',
  } });
  t.deepEqual(result.lm75, { ok: true, value: 25.5 });
  // i2c-stub has no bus to NACK on: an address without a chip is ENODEV (a Pi's adapter says EREMOTEIO).
  t.like(result.absent, { ok: false, code: 'DEVICE_UNAVAILABLE' });
  t.regex(result.absent!.message!, /ENODEV/);
  // What the chip holds, read with i2c-tools: "QC", version 1, 0, then at 44 the date as u32 BE (date +%s 1793491200).
  t.is(await sh(guest, 'i2cget -y 1 0x50 0x00 i 4'), '0x51 0x43 0x01 0x00');
  t.is(await sh(guest, 'i2cget -y 1 0x50 0x2c i 4'), '0x6a 0xe6 0x81 0x00');
});

test('smart card: a virtual card the host puts in the vpcd forward answers through pcscd in the guest', async (t) => {
  t.timeout(240_000);
  const { guest } = t.context;
  const card = new VirtualCard(personalise({
    masterKeys: { load: Buffer.alloc(16, 1), purchase: Buffer.alloc(16, 2), tac: Buffer.alloc(16, 3) },
    asn: '00001234567890123456', balance: 10_000,
  }));
  const connector = new VpcdConnector({ port: guest.vpcdPort });
  await connector.insert(card);
  t.teardown(() => connector.remove());
  const SELECT_PURSE = '00A4040009A0000000038698070100';
  const GET_BALANCE = '805C000204';
  const out = await sh(guest, `cd ${GUEST_PATHS.project} && node --import tsx test/board/in-guest/pcsc-probe.ts ${SELECT_PURSE} ${GET_BALANCE}`, 180_000);
  const result = JSON.parse(out) as { reader: string; atr: string; answers: string[]; ms: number[] };
  t.log(`APDU round trips: ${result.ms.join(', ')} ms`);
  t.is(result.reader, 'Virtual PCD 00 00');
  t.is(result.atr, VIRTUAL_CARD_ATR.toString('hex'));
  t.regex(result.answers[0]!, /9000$/);
  t.is(result.answers[1], '000027109000'); // 10 000 fen, then 90 00
});

test('network: the guest reaches a forwarded host loopback port as quancun-host, and nothing else', async (t) => {
  t.timeout(180_000);
  const { guest } = t.context;
  t.is(await sh(guest, `bash -c 'exec 3<>/dev/tcp/quancun-host/${FORWARDED_GUEST_PORT} && cat <&3'`), GREETING.trim());
  t.is(t.context.served.connections, 1);
  // No default route, and the slirp host address (10.0.2.2) leads nowhere: restrict=on.
  t.is(await sh(guest, "awk '$2 == \"00000000\"' /proc/net/route"), '');
  const port = (t.context.hostService.address() as net.AddressInfo).port;
  const direct = await guest.exec(`timeout 10 bash -c 'exec 3<>/dev/tcp/10.0.2.2/${port}'`);
  t.not(direct.code, 0);
  t.is(t.context.served.connections, 1);
});
