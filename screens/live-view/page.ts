/** The live view page: the screen canvas (fed by PNG patches over SSE) and the simulated-hardware panel. */
export function livePage(width: number, height: number): string {
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>quancun live view</title>
<style>
  /* The screen keeps its size and shape whatever the panel beside it holds: a long receipt used to stretch it. */
  body { margin: 0; display: flex; align-items: flex-start; gap: 16px; padding: 16px; font: 14px system-ui, sans-serif; background: #d9dee6; }
  #screen { flex: none; width: ${width}px; max-width: 70vw; height: auto; aspect-ratio: ${width} / ${height}; background: #000; cursor: pointer; box-shadow: 0 2px 12px #0004; }
  aside { flex: 0 1 320px; min-width: 260px; display: flex; flex-direction: column; gap: 12px; }
  #receipt-png { max-width: 100%; }
  #connection-lost { position: fixed; inset: 0 0 auto 0; padding: 10px 16px; background: #b3261e; color: #fff; font-weight: 600; z-index: 1; }
  body[data-connection="lost"] #screen { opacity: 0.4; cursor: not-allowed; }
  fieldset { border: 1px solid #9aa5b4; border-radius: 6px; background: #fff; }
  button { margin: 2px 0; }
  pre { white-space: pre-wrap; font-size: 12px; }
</style>
</head>
<body data-frames="0" data-connection="connecting">
<div id="connection-lost" role="alert" hidden>The quancun process behind this page is gone (stopped, or no longer reachable): the screen shows the last
frame it drew and nothing here reaches the kiosk. Start it again and this page picks up by itself.
与圈存机进程的连接已断开：画面停在最后一帧，操作不会生效；重新启动进程后本页自动恢复。</div>
<canvas id="screen" width="${width}" height="${height}"></canvas>
<aside>
  <fieldset><legend>Cards 卡片</legend><div id="cards"></div><button id="remove">Remove card 移开卡片</button></fieldset>
  <fieldset><legend>Devices 设备</legend>
    <label><input type="checkbox" id="paper-out"> Printer out of paper 缺纸</label><br>
    <label><input type="checkbox" id="network-up"> Network up 网络</label>
  </fieldset>
  <fieldset id="pin-pad" hidden><legend>PIN pad 密码键盘</legend>
    <input id="pin" inputmode="numeric" size="8" autocomplete="off"> <button id="pin-send">Type 输入</button>
  </fieldset>
  <fieldset><legend>Last action</legend><code id="last-action">—</code></fieldset>
  <fieldset><legend>Receipt 凭条</legend><pre id="receipt">—</pre><img id="receipt-png" hidden alt="receipt"></fieldset>
</aside>
<script type="module">
const canvas = document.getElementById('screen');
const ctx = canvas.getContext('2d');
const post = (path, body = {}) => fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then((r) => r.json());
let drawing = Promise.resolve();
let frames = 0;

async function draw(patches) {
  for (const p of patches) {
    const blob = await (await fetch('data:image/png;base64,' + p.png)).blob();
    ctx.drawImage(await createImageBitmap(blob), p.x, p.y);
  }
  document.body.dataset.frames = String(++frames);
  refreshPanel();
}

const events = new EventSource('/events');
// The browser reconnects by itself; until then the page says the process behind it is gone.
const connection = (state) => () => {
  document.body.dataset.connection = state;
  document.getElementById('connection-lost').hidden = state !== 'lost';
};
events.addEventListener('open', connection('live'));
events.addEventListener('error', connection('lost'));
events.addEventListener('frame', (e) => { const patches = JSON.parse(e.data); drawing = drawing.then(() => draw(patches)); });
events.addEventListener('action', (e) => { document.getElementById('last-action').textContent = e.data; });

canvas.addEventListener('click', (e) => {
  const r = canvas.getBoundingClientRect();
  const x = Math.floor((e.clientX - r.left) * canvas.width / r.width);
  const y = Math.floor((e.clientY - r.top) * canvas.height / r.height);
  post('/touch', { x, y });
});

async function refreshPanel() {
  const { cards, status, pinPad } = await (await fetch('/panel')).json();
  const list = document.getElementById('cards');
  list.replaceChildren(...cards.map((c) => {
    const b = document.createElement('button');
    b.dataset.card = c.id;
    b.textContent = (c.present ? '● ' : '○ ') + c.label;
    b.onclick = () => post('/panel/card', { id: c.id }).then(refreshPanel);
    const row = document.createElement('div');
    row.append(b);
    return row;
  }));
  document.getElementById('paper-out').checked = status.paperOut;
  document.getElementById('network-up').checked = status.networkUp;
  document.getElementById('pin-pad').hidden = !pinPad;
  const receipt = await (await fetch('/receipt')).json();
  document.getElementById('receipt').textContent = receipt ? receipt.text : '—';
  const img = document.getElementById('receipt-png');
  img.hidden = !(receipt && receipt.png);
  if (receipt && receipt.png) img.src = '/receipt.png?' + frames;
}

document.getElementById('remove').onclick = () => post('/panel/remove').then(refreshPanel);
document.getElementById('paper-out').onchange = (e) => post('/panel/paper', { out: e.target.checked }).then(refreshPanel);
document.getElementById('network-up').onchange = (e) => post('/panel/network', { up: e.target.checked }).then(refreshPanel);
document.getElementById('pin-send').onclick = () => {
  const pin = document.getElementById('pin');
  post('/panel/pin', { digits: pin.value }).then(() => { pin.value = ''; });
};
refreshPanel();
</script>
</body>
</html>
`;
}
