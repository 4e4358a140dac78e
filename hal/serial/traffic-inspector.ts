/**
 * Serial traffic inspector for technicians: a hex/ASCII trace of every byte a serial device sends and receives.
 * Off by default. Drivers hand it bytes that are already redacted where secret (the PIN pad masks its PIN block,
 * card digits and key counts), so nothing here can leak what it was never given.
 */
export type Direction = 'tx' | 'rx';

export interface TrafficInspector {
  readonly enabled: boolean;
  trace(device: string, direction: Direction, bytes: Buffer): void;
}

export const disabledInspector: TrafficInspector = { enabled: false, trace: () => {} };

/** One line per 16 bytes: `printer tx 0000  1b 40 1c 26 ...  |.@.&|`. */
export function hexDump(device: string, direction: Direction, bytes: Buffer): string[] {
  const lines: string[] = [];
  for (let off = 0; off < bytes.length; off += 16) {
    const row = bytes.subarray(off, off + 16);
    const hex = [...row].map((b) => b.toString(16).padStart(2, '0')).join(' ').padEnd(47, ' ');
    const ascii = [...row].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    lines.push(`${device} ${direction} ${off.toString(16).padStart(4, '0')}  ${hex}  |${ascii}|`);
  }
  return lines;
}

export function createTrafficInspector(options: { sink?: (line: string) => void } = {}): TrafficInspector {
  const sink = options.sink ?? ((line: string) => process.stderr.write(line + '\n'));
  return {
    enabled: true,
    trace(device, direction, bytes) {
      for (const line of hexDump(device, direction, bytes)) sink(line);
    },
  };
}
