// The peer hemd is measured against: a central system on ocpp-rpc (Node), strict mode like hemd (every
// payload checked against the OCPP 1.6 schemas), answering what the load generator sends.
// usage: node node_server.js         stdout: READY <port>
const path = require('path');
const { RPCServer } = require(path.join(__dirname, '../../tests/peers/node_modules/ocpp-rpc'));

const server = new RPCServer({ protocols: ['ocpp1.6'], strictMode: true });
server.auth((accept) => accept({}, 'ocpp1.6'));
server.on('client', (client) => {
  const now = () => new Date().toISOString();
  client.handle('BootNotification', () => ({ status: 'Accepted', currentTime: now(), interval: 60 }));
  client.handle('Heartbeat', () => ({ currentTime: now() }));
  client.handle('StatusNotification', () => ({}));
  client.handle('MeterValues', () => ({}));
});
server.listen(0, '127.0.0.1').then((http) => process.stdout.write(`READY ${http.address().port}\n`));
