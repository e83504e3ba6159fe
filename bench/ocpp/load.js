// The load: N charge points (ocpp-rpc clients) that boot and then each send MeterValues every second, the
// way chargers with a 1 s sample interval do, and the round trip of every one is timed.
// usage: node load.js URL N SECONDS
// stdout: MEASURING (when all are connected and the timed part begins), then one JSON line of figures
const path = require('path');
const { RPCClient } = require(path.join(__dirname, '../../tests/peers/node_modules/ocpp-rpc'));

const [url, n, seconds] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
const latencies = [];
let failed = 0;

function client(i) {
  const c = new RPCClient({ endpoint: url, identity: `cp${i}`, protocols: ['ocpp1.6'], strictMode: false,
                            reconnect: false, callTimeoutMs: 10000 });
  // What a central system asks after boot (hemd does; the Node peer does not): answered like a charger.
  c.handle('GetConfiguration', () => ({ configurationKey: [
    { key: 'ChargeProfileMaxStackLevel', readonly: true, value: '8' },
    { key: 'ChargingScheduleAllowedChargingRateUnit', readonly: true, value: 'Current' }] }));
  c.handle('ChangeConfiguration', () => ({ status: 'Accepted' }));
  c.handle('ChangeAvailability', () => ({ status: 'Accepted' }));
  c.handle('SetChargingProfile', () => ({ status: 'Accepted' }));
  c.handle('ClearChargingProfile', () => ({ status: 'Unknown' }));
  c.handle('TriggerMessage', () => ({ status: 'Accepted' }));
  c.handle('GetCompositeSchedule', () => ({ status: 'Rejected' }));
  return c;
}

function meterValues(wh) {
  const sv = [{ value: String(wh), measurand: 'Energy.Active.Import.Register', unit: 'Wh' },
              { value: '11040', measurand: 'Power.Active.Import', unit: 'W' }];
  for (const ph of ['L1', 'L2', 'L3']) sv.push({ value: '16', measurand: 'Current.Import', phase: ph, unit: 'A' });
  return { connectorId: 1, meterValue: [{ timestamp: new Date().toISOString(), sampledValue: sv }] };
}

async function main() {
  const clients = [];
  for (let at = 0; at < n; at += 50) {  // in batches: 500 at once is a storm no charger fleet makes
    const batch = [];
    for (let i = at; i < Math.min(n, at + 50); ++i) {
      const c = client(i);
      clients.push(c);
      batch.push(c.connect().then(() => c.call('BootNotification', { chargePointVendor: 'bench', chargePointModel: 'load' })));
    }
    await Promise.all(batch);
  }
  await new Promise((r) => setTimeout(r, 2000));  // hemd's setup calls settle
  process.stdout.write('MEASURING\n');
  const end = Date.now() + seconds * 1000;
  await Promise.all(clients.map((c, i) => new Promise((resolve) => {
    let wh = 1000;
    const tick = async () => {
      if (Date.now() >= end) return resolve();
      const t0 = process.hrtime.bigint();
      try {
        await c.call('MeterValues', meterValues(wh += 3));
        latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
      } catch (e) {
        ++failed;
      }
      setTimeout(tick, 1000 - (Number(process.hrtime.bigint() - t0) / 1e6 % 1000));
    };
    setTimeout(tick, (1000 * i) / n);  // spread over the second, like independent chargers
  })));
  latencies.sort((a, b) => a - b);
  const q = (p) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] : NaN);
  process.stdout.write(JSON.stringify({ n, answered: latencies.length, failed, p50_ms: q(0.5), p99_ms: q(0.99),
                                        max_ms: latencies[latencies.length - 1] }) + '\n');
  for (const c of clients) c.close({ force: true }).catch(() => {});
  setTimeout(() => process.exit(0), 500);
}
main().catch((e) => { process.stdout.write(JSON.stringify({ error: String(e.message || e) }) + '\n'); process.exit(1); });
