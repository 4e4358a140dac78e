import test from 'ava';
import { TechnicianGate } from '../../runtime/ui/technician.ts';
import { hashSecret, secretMatches } from '../../common/crypto/secret-hash.ts';

// openssl kdf -keylen 32 -kdfopt pass:246810 -kdfopt hexsalt:71756e63756e2d746563686e69636961 -kdfopt n:16384
//   -kdfopt r:8 -kdfopt p:1 SCRYPT  (config/embedded.json holds this hash; the demo technician PIN is 246810)
const SALT = Buffer.from('71756e63756e2d746563686e69636961', 'hex');
const HASH = 'scrypt$71756e63756e2d746563686e69636961$e6f25277399f1c8789a7c35e5d7a1697cd186136b837bb96c8f8c8f7c352ccdb';

const type = (gate: TechnicianGate, pin: string) => [...pin].map((d) => gate.key(d as '0')).at(-1);

test('the technician PIN hash is scrypt (N 16384, r 8, p 1) as openssl computes it', (t) => {
  t.is(hashSecret('246810', SALT), HASH);
  t.true(secretMatches('246810', HASH));
  t.false(secretMatches('246811', HASH));
  t.false(secretMatches('246810', 'plain:246810'));
});

test('six digits decide; del takes one back; a wrong PIN counts down and five lock the gate for ten minutes', (t) => {
  let now = 0;
  const gate = new TechnicianGate(HASH, () => now);
  t.true(gate.open);
  t.is(type(gate, '24681'), 'typing');
  t.is(gate.digits, 5);
  gate.key('del');
  t.is(gate.digits, 4);
  t.is(type(gate, '10'), 'granted');
  t.is(gate.attemptsLeft, undefined);

  for (const left of [4, 3, 2, 1]) {
    t.is(type(gate, '000000'), 'denied');
    t.is(gate.attemptsLeft, left);
  }
  t.is(type(gate, '000000'), 'locked');
  t.false(gate.open);
  t.is(type(gate, '246810'), 'locked', 'even the right PIN is refused while locked');
  now += 10 * 60_000;
  t.true(gate.open);
  t.is(type(gate, '246810'), 'granted');
});

test('without a configured hash the gate never opens', (t) => {
  const gate = new TechnicianGate(undefined);
  t.false(gate.open);
  t.is(gate.key('1'), 'locked');
});
