// The console's page shell: sign-in, the menu of the sections this user's role sees, hash routes `#/<section>/...`,
// the language switch, live events, and the small toolkit (`ctx`) each section module renders with
// (docs/console.md). Nothing here decides who may do what: the server checks every request.

const app = document.getElementById('app');
let lang = localStorage.getItem('quancun.lang') === 'en' ? 'en' : 'zh';
let session = null;
let live = null;
const listeners = new Map();
let routeListeners = [];

const t = (zh, en) => (lang === 'en' ? en : zh);
const tr = (text) => (typeof text === 'string' ? text : t(text.zh, text.en));

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

class ApiError extends Error {
  constructor(code, message, status) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

async function call(method, path, body) {
  const headers = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && session) headers['x-csrf-token'] = session.csrf;
  const res = await fetch(`/api/${path}`, { method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) });
  const data = res.headers.get('content-type')?.includes('json') ? await res.json() : {};
  if (!res.ok) {
    const err = new ApiError(data.error?.code ?? 'INTERNAL', data.error?.message ?? res.statusText, res.status);
    if (err.code === 'CONSOLE_SIGNED_OUT' && path !== 'sign-in') showSignIn();
    throw err;
  }
  return data;
}

const api = {
  get: (path) => call('GET', path),
  post: (path, body = {}) => call('POST', path, body),
  href: (path) => `/api/${path}`,
};

const fmt = {
  money: (fen) => (fen === null || fen === undefined ? '' : `¥${(fen / 100).toFixed(2)}`),
  time: (iso) => (iso ? new Date(iso).toLocaleString(lang === 'en' ? 'en-GB' : 'zh-CN', { hour12: false }) : ''),
  age(iso) {
    if (!iso) return '';
    const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
    if (s < 60) return t(`${s} 秒`, `${s} s`);
    if (s < 3600) return t(`${Math.round(s / 60)} 分钟`, `${Math.round(s / 60)} min`);
    if (s < 86400) return t(`${Math.round(s / 3600)} 小时`, `${Math.round(s / 3600)} h`);
    return t(`${Math.round(s / 86400)} 天`, `${Math.round(s / 86400)} d`);
  },
};

let toastTimer;
function toast(text, ok = true) {
  document.querySelector('.toast')?.remove();
  const el = h('div', { class: ok ? 'toast' : 'toast bad', role: 'status', 'data-test': 'toast' }, text);
  document.body.append(el);
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => el.remove(), 5000);
}

const roleRank = { viewer: 0, operator: 1, admin: 2 };
const can = (role) => Boolean(session) && roleRank[session.role] >= roleRank[role];

function button(label, onclick, o = {}) {
  if (o.role && !can(o.role)) return null;
  const el = h('button', { class: o.danger ? 'danger' : o.secondary ? 'secondary' : undefined, 'data-test': o.test, type: 'button' }, tr(label));
  el.addEventListener('click', async () => {
    el.disabled = true;
    try {
      await onclick();
    } catch (err) {
      toast(`${err.code ?? ''} ${err.message}`, false);
    } finally {
      el.disabled = false;
    }
  });
  return el;
}

function table(columns, rows, o = {}) {
  return h('div', { class: 'scroll' }, h('table', { 'data-test': o.test },
    h('thead', {}, h('tr', {}, columns.map((c) => h('th', { class: c.num ? 'num' : undefined }, tr(c.label))))),
    h('tbody', {}, rows.length === 0
      ? h('tr', {}, h('td', { colspan: columns.length, class: 'muted' }, t('无', 'None')))
      : rows.map((row) => h('tr', { 'data-row': o.key ? o.key(row) : undefined }, columns.map((c) => h('td', { class: c.num ? 'num' : undefined }, c.value(row))))))));
}

// A uPlot line chart as wide as its box once the box is laid out, following the box when it is resized.
function chart(el, { labels, series, unit }) {
  el.classList.add('chart');
  const opts = (width) => ({
    width, height: 220,
    series: [{}, ...series.map((s, i) => ({ label: s.label, stroke: ['#0b63c5', '#c62828', '#1a7f37', '#b26a00'][i % 4], width: 2 }))],
    axes: [{}, { label: unit ?? '' }],
  });
  let data = [labels, ...series.map((s) => s.values)];
  let plot = null;
  const observer = new ResizeObserver(() => {
    const width = el.clientWidth;
    if (width === 0) return;
    if (plot) plot.setSize({ width, height: 220 });
    else plot = new window.uPlot(opts(width), data, el);
  });
  observer.observe(el);
  routeListeners.push(() => observer.disconnect());
  // uPlot's own setData([x, ...series]), also before the chart is first drawn.
  return { setData: (next) => (plot ? plot.setData(next) : (data = next)) };
}

// `fn` run once for a burst of calls: while one run is under way, calls make one more run after it, not one each
// (a live event per record of a batch costs two fetches, not a thousand).
function coalesced(fn) {
  let running = false;
  let again = false;
  return async () => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      do {
        again = false;
        await fn().catch((err) => toast(`${err.code ?? ''} ${err.message}`, false));
      } while (again);
    } finally {
      running = false;
    }
  };
}

function on(event, fn) {
  if (!listeners.has(event)) {
    listeners.set(event, new Set());
    live?.addEventListener(event, dispatch);
  }
  listeners.get(event).add(fn);
  const off = () => listeners.get(event)?.delete(fn);
  routeListeners.push(off);
  return off;
}

function dispatch(e) {
  const data = JSON.parse(e.data);
  for (const fn of listeners.get(e.type) ?? []) fn(data);
}

function openLive() {
  live?.close();
  live = new EventSource('/api/live');
  for (const event of listeners.keys()) live.addEventListener(event, dispatch);
}

const modules = new Map();
async function section(id) {
  if (!modules.has(id)) modules.set(id, (await import(`/static/sections/${id}.js`)).default);
  return modules.get(id);
}

async function route() {
  if (!session) return;
  for (const off of routeListeners) off();
  routeListeners = [];
  const [id, ...path] = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  const known = session.sections.find((s) => s.id === id) ?? session.sections[0];
  if (!known) return;
  if (known.id !== id) {
    location.hash = `#/${known.id}`;
    return;
  }
  for (const a of document.querySelectorAll('header nav a')) a.classList.toggle('active', a.dataset.section === id);
  const root = h('main', { 'data-section': id });
  document.querySelector('main')?.replaceWith(root);
  const ctx = {
    path, api, h, t, lang, fmt, on, chart, can, table, button, toast, coalesced,
    confirm: (text) => window.confirm(text),
    navigate: (hash) => { location.hash = hash; },
  };
  try {
    await (await section(id)).render(root, ctx);
  } catch (err) {
    root.append(h('p', { class: 'error' }, `${err.code ?? ''} ${err.message}`));
  }
}

function shell() {
  app.replaceChildren(
    h('header', {},
      h('span', { class: 'brand' }, t('圈存前置 · 控制台', 'quancun · console')),
      h('nav', {}, session.sections.map((s) => h('a', { href: `#/${s.id}`, 'data-section': s.id }, tr(s.title)))),
      h('span', { class: 'who' },
        h('span', { 'data-test': 'who' }, `${session.user} (${session.role})`),
        h('button', { type: 'button', 'data-test': 'lang', onclick: () => setLang(lang === 'en' ? 'zh' : 'en') }, lang === 'en' ? '中文' : 'English'),
        h('button', { type: 'button', 'data-test': 'sign-out', onclick: signOut }, t('退出', 'Sign out')))),
    h('main'));
  route();
}

function setLang(next) {
  lang = next;
  localStorage.setItem('quancun.lang', lang);
  document.documentElement.lang = lang === 'en' ? 'en' : 'zh-CN';
  if (session) shell();
  else showSignIn();
}

async function signOut() {
  await api.post('sign-out').catch(() => {});
  session = null;
  live?.close();
  showSignIn();
}

function showSignIn(message) {
  session = null;
  live?.close();
  const error = h('p', { class: 'error', 'data-test': 'sign-in-error' }, message ?? '');
  const user = h('input', { name: 'user', autocomplete: 'username', required: true, 'data-test': 'user' });
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true, 'data-test': 'password' });
  const form = h('form', {},
    h('label', {}, t('用户名', 'User'), user),
    h('label', {}, t('密码', 'Password'), password),
    h('button', { type: 'submit', 'data-test': 'sign-in' }, t('登录', 'Sign in')),
    error);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      await call('POST', 'sign-in', { user: user.value, password: password.value });
      await start();
    } catch (err) {
      error.textContent = err.code === 'CONSOLE_LOCKED' ? t('登录失败次数过多，账户暂时锁定', err.message) : t('用户名或密码错误', 'Wrong user name or password');
    }
  });
  app.replaceChildren(h('div', { class: 'card sign-in' },
    h('h1', {}, t('圈存前置 · 控制台', 'quancun · console')),
    h('p', {}, h('button', { type: 'button', class: 'secondary', onclick: () => setLang(lang === 'en' ? 'zh' : 'en') }, lang === 'en' ? '中文' : 'English')),
    form));
}

async function start() {
  try {
    session = await call('GET', 'session');
  } catch {
    showSignIn();
    return;
  }
  openLive();
  shell();
}

window.addEventListener('hashchange', route);
document.documentElement.lang = lang === 'en' ? 'en' : 'zh-CN';
start();
