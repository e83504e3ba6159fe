// A raw WebSocket client (the ws package) for what a strict client cannot send: malformed frames, a missing
// subprotocol. Prints every frame it receives, then whether the connection is still open.
// usage: node raw_client.js URL PROTOCOL[,PROTOCOL…]|- [PASSWORD|-] FRAME...
// A FRAME "bin:HEX" goes as a binary message, "txt:HEX" as a text message of those bytes (UTF-8 or not);
// "deep:N" is [3,"deep",[[…N levels…]]].
const path = require('path');
const WebSocket = require(path.join(__dirname, '../../peers/node_modules/ws'));
const [url, protocol, password, ...frames] = process.argv.slice(2);
const id = url.split('/').pop();
const headers = password && password !== '-' ? { Authorization: 'Basic ' + Buffer.from(id + ':' + password).toString('base64') } : {};
const ws = protocol === '-' ? new WebSocket(url, { headers }) : new WebSocket(url, protocol.split(','), { headers });
ws.on('unexpected-response', (req, res) => { console.log(JSON.stringify({ event: 'refused', status: res.statusCode })); process.exit(0); });
ws.on('error', (e) => { console.log(JSON.stringify({ event: 'error', error: String(e.message) })); process.exit(0); });
ws.on('message', (data) => console.log(JSON.stringify({ event: 'frame', frame: JSON.parse(data.toString()) })));
ws.on('close', (code, reason) => { console.log(JSON.stringify({ event: 'closed', code, reason: String(reason) })); process.exit(0); });
const send = (f) => {
  if (f.startsWith('bin:')) ws.send(Buffer.from(f.slice(4), 'hex'), { binary: true });
  else if (f.startsWith('txt:')) ws.send(Buffer.from(f.slice(4), 'hex'), { binary: false });
  else if (f.startsWith('deep:')) { const n = Number(f.slice(5)); ws.send('[3,"deep",' + '['.repeat(n) + ']'.repeat(n) + ']'); }
  else ws.send(f);
};
ws.on('open', () => {
  console.log(JSON.stringify({ event: 'open', protocol: ws.protocol }));
  frames.forEach((f, i) => setTimeout(() => send(f), 100 * i));
  setTimeout(() => { console.log(JSON.stringify({ event: 'still-open', open: ws.readyState === WebSocket.OPEN })); process.exit(0); }, 100 * frames.length + 1500);
});
