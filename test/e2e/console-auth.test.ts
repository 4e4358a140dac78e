/**
 * The console's gatekeeping on a running embedded system, over HTTP as a browser or the CLI sends it: sign-in with
 * scrypt passwords and a lockout, roles decided on the server, CSRF tokens bound to the session, sign-out, and the
 * audit log (viewable, exportable as CSV) holding every action and refusal without a password in it.
 */
import test from 'ava';
import { QuancunError } from '../../common/errors.ts';
import { parseConfig } from '../../common/config.ts';
import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { makePki } from '../support/test-pki.ts';
import { tempDir } from '../support/temp-dir.ts';
import { lastJson, quancunWithEnv } from '../support/cli.ts';
import { CONSOLE_USERS, startConsoleSystem } from '../support/console.ts';
import { EMBEDDED_CONFIG } from '../support/kiosk-system.ts';

const codeOf = (p: Promise<unknown>) => p.then(() => 'ok', (err: QuancunError) => err.code);

/** Signs in with fetch itself, as a page would: the cookies it got, and the session's CSRF token. */
async function rawSignIn(url: string, user: string, password: string) {
  const res = await fetch(`${url}/api/sign-in`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user, password }) });
  const cookie = res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const session = await fetch(`${url}/api/session`, { headers: { cookie } });
  const more = session.headers.getSetCookie().map((c) => c.split(';')[0]);
  return { status: res.status, setCookie: res.headers.getSetCookie(), cookie: [cookie, ...more].join('; '), session: await session.json() as { csrf: string; role: string } };
}

test('sign-in, roles on the server, CSRF, lockout, sign-out, and an audit log of all of it', async (t) => {
  t.timeout(60_000);
  const s = await startConsoleSystem(t);
  const url = s.consoleUrl;

  // The session cookie cannot be read by scripts nor sent cross-site.
  const signedIn = await rawSignIn(url, CONSOLE_USERS.admin.name, CONSOLE_USERS.admin.password);
  t.is(signedIn.status, 200);
  t.regex(signedIn.setCookie.find((c) => c.startsWith('qc_session='))!, /HttpOnly/i);
  t.regex(signedIn.setCookie.find((c) => c.startsWith('qc_session='))!, /SameSite=Strict/i);
  t.is(signedIn.session.role, 'admin');

  // An action without the token, or with another session's token, is refused before it runs.
  const change = (headers: Record<string, string>) => fetch(`${url}/api/users/vera`, {
    method: 'POST', headers: { 'content-type': 'application/json', cookie: signedIn.cookie, ...headers }, body: JSON.stringify({ role: 'operator' }),
  });
  const noToken = await change({});
  t.is(noToken.status, 403);
  t.like(await noToken.json(), { error: { code: 'CONSOLE_CSRF' } });
  const other = await rawSignIn(url, CONSOLE_USERS.operator.name, CONSOLE_USERS.operator.password);
  t.is((await change({ 'x-csrf-token': other.session.csrf })).status, 403);
  t.is((await change({ 'x-csrf-token': signedIn.session.csrf })).status, 200);

  // Roles are the server's decision: a viewer's and an operator's admin action are refused and audited as refused.
  const viewer = await s.signIn('viewer');
  const operator = await s.signIn('operator');
  t.is(await codeOf(viewer.post('users/olga', { role: 'admin' })), 'CONSOLE_FORBIDDEN');
  t.is(await codeOf(operator.post('users/olga', { role: 'admin' })), 'CONSOLE_FORBIDDEN');
  t.is(await codeOf(viewer.get('users')), 'CONSOLE_FORBIDDEN');
  // vera was made an operator above: her open session has the new role at once, and still no admin pages.
  const session = await viewer.get<{ role: string; sections: Array<{ id: string }> }>('session');
  t.is(session.role, 'operator');
  t.false(session.sections.some((s) => s.id === 'users'));

  // Three wrong passwords in a row (the test config's lockout) lock the user; then even the right one is refused.
  const wrong = () => s.signIn('viewer').catch((e) => e);
  const badSignIn = (await import('../../gateway/console/console-client.ts')).ConsoleClient.signIn;
  t.is(await codeOf(badSignIn(url, 'vera', 'not-her-password')), 'CONSOLE_SIGN_IN_FAILED');
  t.is(await codeOf(badSignIn(url, 'nobody', 'not-a-password')), 'CONSOLE_SIGN_IN_FAILED');
  t.is(await codeOf(badSignIn(url, 'vera', 'not-her-password')), 'CONSOLE_SIGN_IN_FAILED');
  t.is(await codeOf(badSignIn(url, 'vera', 'not-her-password')), 'CONSOLE_LOCKED');
  t.is((await wrong()).code, 'CONSOLE_LOCKED');
  const admin = await s.signIn('admin');
  t.truthy((await admin.get<{ users: Array<{ name: string; lockedUntil: string | null }> }>('users')).users.find((u) => u.name === 'vera')!.lockedUntil);
  await admin.post('users/vera', { unlock: true });
  await s.signIn('viewer');

  // Signed out, the old session is dead.
  await operator.post('sign-out');
  t.is(await codeOf(operator.get('session')), 'CONSOLE_SIGNED_OUT');

  // Every action and refusal is in the log, with who, what, on what and the result; the CSV holds no password.
  const { entries } = await admin.get<{ entries: Array<{ user: string; action: string; result: string; code?: string; target: Record<string, string> }> }>('audit');
  const seen = entries.map((e) => `${e.user} ${e.action} ${e.result}${e.code ? ` ${e.code}` : ''}${e.target.name ? ` ${e.target.name}` : ''}`);
  for (const line of [
    'adam console.sign-in ok', 'adam console.user-change ok vera', 'vera console.user-change refused CONSOLE_FORBIDDEN olga',
    'olga console.user-change refused CONSOLE_FORBIDDEN olga', 'vera console.sign-in refused CONSOLE_SIGN_IN_FAILED',
    'nobody console.sign-in refused CONSOLE_SIGN_IN_FAILED', 'vera console.sign-in refused CONSOLE_LOCKED', 'olga console.sign-out ok',
    'adam console.user-change ok vera',
  ]) t.true(seen.includes(line), line);
  const csv = await admin.text('audit.csv');
  t.true(csv.startsWith('at,user,role,action,target,result,code,details\r\n'));
  t.regex(csv, /vera,.*console\.sign-in,\{\},refused,CONSOLE_LOCKED/);
  for (const { password } of Object.values(CONSOLE_USERS)) t.false(csv.includes(password));
  t.false(csv.includes('not-her-password'));
});

test('health reflects the gateway’s own progress; pages carry security headers; a LAN console without TLS is refused', async (t) => {
  const s = await startConsoleSystem(t);
  const health = await fetch(`${s.consoleUrl}/health`);
  t.is(health.status, 200);
  t.like(await health.json(), { status: 'ok', checks: { journal: { ok: true }, broker: { ok: true }, 'bank:unionpay': { ok: true } } });
  const page = await fetch(`${s.consoleUrl}/`);
  t.regex(page.headers.get('content-security-policy')!, /frame-ancestors 'none'/);
  t.is(page.headers.get('x-content-type-options'), 'nosniff');
  t.is((await fetch(`${s.consoleUrl}/static/../console-server.ts`)).status, 404);

  const raw = JSON.parse(readFileSync(EMBEDDED_CONFIG, 'utf8'));
  raw.console = { host: '0.0.0.0' };
  const err = t.throws(() => parseConfig(raw, 'lan.json'), { instanceOf: QuancunError });
  t.is(err.code, 'CONFIG_INVALID');
  t.regex(err.message, /console\.host: a console on a non-loopback address needs console\.tls/);
});

test('a console with TLS speaks HTTPS only, and its session cookie is Secure', async (t) => {
  const pki = await makePki(t);
  const s = await startConsoleSystem(t, { edit: (c) => void (c.console!.tls = { cert: pki.broker.cert, key: pki.broker.key }) });
  t.regex(s.consoleUrl, /^https:\/\/127\.0\.0\.1:\d+$/);
  const ca = readFileSync(pki.ca);
  const https = (path: string, body?: unknown) => new Promise<{ status: number; cookies: string[]; text: string }>((resolve, reject) => {
    const req = request(`${s.consoleUrl}${path}`, { ca, method: body ? 'POST' : 'GET', headers: body ? { 'content-type': 'application/json' } : {} }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, cookies: res.headers['set-cookie'] ?? [], text }));
    });
    req.on('error', reject);
    req.end(body ? JSON.stringify(body) : undefined);
  });
  t.is((await https('/health')).status, 200);
  const signedIn = await https('/api/sign-in', { user: CONSOLE_USERS.viewer.name, password: CONSOLE_USERS.viewer.password });
  t.is(signedIn.status, 200, signedIn.text);
  t.regex(signedIn.cookies.find((c) => c.startsWith('qc_session='))!, /; Secure/i);
  await t.throwsAsync(fetch(s.consoleUrl.replace('https:', 'http:') + '/health'));
});

test('quancun console user: add, list, passwd with a role, remove; bad input named; no password in the file', async (t) => {
  const dir = await tempDir(t, 'quancun-console-users-');
  const raw = JSON.parse(readFileSync(EMBEDDED_CONFIG, 'utf8'));
  raw.dataDir = dir;
  const config = join(dir, 'gw.json');
  writeFileSync(config, JSON.stringify(raw));
  const run = (password: string, ...args: string[]) => quancunWithEnv({ QUANCUN_CONSOLE_PASSWORD: password }, 'console', 'user', ...args, '--config', config);

  t.like(await run('first-password', 'add', 'olga', '--role', 'operator'), { code: 0, stdout: 'console user olga added (operator)\n' });
  const exists = await run('first-password', 'add', 'olga', '--role', 'viewer');
  t.is(exists.code, 1);
  t.regex(exists.stderr, /CONSOLE_USER_EXISTS/);
  t.regex((await run('short', 'add', 'vera', '--role', 'viewer')).stderr, /CONSOLE_BAD_REQUEST.*at least 10 characters/);
  t.regex((await run('long-enough-1', 'add', 'vera', '--role', 'boss')).stderr, /CONFIG_INVALID.*--role must be one of viewer, operator, admin/);
  t.regex((await run('long-enough-1', 'add', 'Vera Smith', '--role', 'viewer')).stderr, /CONSOLE_BAD_REQUEST/);
  const before = readFileSync(join(dir, 'console', 'users.json'), 'utf8');
  t.false(before.includes('first-password'));

  t.like(await run('second-password', 'passwd', 'olga', '--role', 'admin'), { code: 0 });
  const listed = lastJson<Array<{ name: string; role: string }>>((await run('', 'list', '--json')).stdout);
  t.like(listed, [{ name: 'olga', role: 'admin' }]);
  t.not(JSON.parse(readFileSync(join(dir, 'console', 'users.json'), 'utf8')).users.olga.passwordHash, JSON.parse(before).users.olga.passwordHash);
  t.regex((await run('', 'remove', 'nobody')).stderr, /CONSOLE_USER_UNKNOWN/);
  t.like(await run('', 'remove', 'olga'), { code: 0 });
  t.is((await run('', 'list')).stdout, 'no console users\n');
});

test('live events reach a signed-in page and its stream ends at sign-out', async (t) => {
  const s = await startConsoleSystem(t);
  const { cookie, session } = await rawSignIn(s.consoleUrl, CONSOLE_USERS.admin.name, CONSOLE_USERS.admin.password);
  t.is((await fetch(`${s.consoleUrl}/api/live`)).status, 401);
  const live = await fetch(`${s.consoleUrl}/api/live`, { headers: { cookie } });
  t.is(live.headers.get('content-type'), 'text/event-stream');
  const reader = live.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = '';
  const until = async (pattern: RegExp) => {
    while (!pattern.test(text)) {
      const { value, done } = await reader.read();
      if (done) return 'ended';
      text += value;
    }
    return 'seen';
  };
  await until(/: connected/);
  // An action pushes its audit entry to every open page.
  await fetch(`${s.consoleUrl}/api/users/vera`, {
    method: 'POST', headers: { 'content-type': 'application/json', cookie, 'x-csrf-token': session.csrf }, body: JSON.stringify({ unlock: true }),
  });
  t.is(await until(/event: audit\.entry\ndata: \{[^\n]*"action":"console\.user-change"/), 'seen');
  await fetch(`${s.consoleUrl}/api/sign-out`, { method: 'POST', headers: { 'content-type': 'application/json', cookie, 'x-csrf-token': session.csrf }, body: '{}' });
  t.is(await until(/never/), 'ended');
});
