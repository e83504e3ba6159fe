// An OCPP 1.6J charge point on ocpp-rpc in strict mode: every message hemd sends it is validated against the
// official OCPP 1.6 JSON schemas (an invalid one is refused and reported), and so is every message it sends.
// It keeps the charging profiles it is given and computes the limit it would apply, the way a charger does:
// the highest stack level whose schedule is in force, the period reached, a lapsed profile no longer counts.
//
// usage: node chargepoint.js --url ws://127.0.0.1:PORT/ocpp --id ID [--password P] [--unit Current|Power]
//        [--reject-profiles] [--silent] [--stack-level N]
// stdin: plug | start | meter AMPS | stop | reconnect | exit        stdout: one JSON event per line
const path = require('path');
const { RPCClient, createRPCError } = require(path.join(__dirname, '../../peers/node_modules/ocpp-rpc'));

const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf('--' + name); return i < 0 ? dflt : args[i + 1]; };
const flag = (name) => args.includes('--' + name);
const id = opt('id', 'cp1');
const phases = 3;
const emit = (event) => process.stdout.write(JSON.stringify(event) + '\n');

const profiles = new Map();  // stackLevel -> {profile, received}
let client = null;
let transactionId = null;
let energyWh = 1000;
let lastLimit = null;

function effectiveLimit(now) {
  const levels = [...profiles.keys()].sort((a, b) => b - a);
  for (const level of levels) {
    const p = profiles.get(level).profile;
    const s = p.chargingSchedule;
    const start = s.startSchedule ? Date.parse(s.startSchedule) : profiles.get(level).received;
    const elapsed = (now - start) / 1000;
    if (elapsed < 0) continue;
    if (s.duration !== undefined && elapsed >= s.duration) continue;
    let period = null;
    for (const pp of s.chargingSchedulePeriod) if (pp.startPeriod <= elapsed) period = pp;
    if (!period) continue;
    const amps = s.chargingRateUnit === 'W' ? period.limit / 230 / (period.numberPhases || phases) : period.limit;
    return Math.round(amps * 100) / 100;
  }
  return null;  // no profile: the charger's own maximum
}

function handlers(cli) {
  cli.handle('GetConfiguration', () => ({
    configurationKey: [
      { key: 'ChargeProfileMaxStackLevel', readonly: true, value: opt('stack-level', '8') },
      { key: 'ChargingScheduleAllowedChargingRateUnit', readonly: true, value: opt('unit', 'Current') },
      { key: 'ChargingScheduleMaxPeriods', readonly: true, value: '5' },
      { key: 'MeterValuesSampledData', readonly: false, value: 'Energy.Active.Import.Register' },
    ],
  }));
  cli.handle('ChangeConfiguration', ({ params }) => { emit({ event: 'config', key: params.key, value: params.value }); return { status: 'Accepted' }; });
  cli.handle('SetChargingProfile', ({ params }) => {
    const p = params.csChargingProfiles;
    emit({ event: 'profile', stackLevel: p.stackLevel, purpose: p.chargingProfilePurpose, kind: p.chargingProfileKind,
           unit: p.chargingSchedule.chargingRateUnit, limit: p.chargingSchedule.chargingSchedulePeriod[0].limit,
           periods: p.chargingSchedule.chargingSchedulePeriod.length, duration: p.chargingSchedule.duration });
    if (flag('reject-profiles')) return { status: 'Rejected' };
    profiles.set(p.stackLevel, { profile: p, received: Date.now() });
    return { status: 'Accepted' };
  });
  cli.handle('ClearChargingProfile', () => { profiles.clear(); return { status: 'Accepted' }; });
  cli.handle('TriggerMessage', ({ params }) => {
    emit({ event: 'trigger', message: params.requestedMessage });
    setTimeout(() => boot().catch(() => {}), 10);
    return { status: 'Accepted' };
  });
  cli.handle(({ method }) => { emit({ event: 'unhandled', action: method }); throw createRPCError('NotImplemented'); });
}

async function boot() {
  const r = await client.call('BootNotification', { chargePointVendor: opt('vendor', 'hemd-test'), chargePointModel: 'Strict CP' });
  emit({ event: 'boot', status: r.status, interval: r.interval });
  await client.call('StatusNotification', { connectorId: 1, errorCode: 'NoError', status: 'Available' });
}

async function connect() {
  profiles.clear();  // a rebooted charger may forget; hemd must send again
  client = new RPCClient({ endpoint: opt('url'), identity: id, password: opt('password'), protocols: ['ocpp1.6'],
                           strictMode: true, reconnect: false, callTimeoutMs: 20000 });
  if (flag('silent')) client.handle(() => new Promise(() => {}));  // never answers
  else handlers(client);
  client.on('badMessage', (e) => emit({ event: 'bad', error: String(e.error) }));
  client.on('close', ({ code }) => emit({ event: 'closed', code }));
  try {
    await client.connect();
  } catch (e) {
    emit({ event: 'refused', error: String(e.message || e) });
    return false;
  }
  emit({ event: 'connected', protocol: client.protocol });
  await boot();
  return true;
}

async function command(line) {
  const [cmd, arg] = line.trim().split(/\s+/);
  emit({ event: 'command', line });
  if (cmd === 'plug') await client.call('StatusNotification', { connectorId: 1, errorCode: 'NoError', status: 'Preparing' });
  if (cmd === 'start') {
    const r = await client.call('StartTransaction', { connectorId: 1, idTag: arg || 'TAG1', meterStart: energyWh, timestamp: new Date().toISOString() });
    transactionId = r.transactionId;
    emit({ event: 'started', transactionId, status: r.idTagInfo.status });
    await client.call('StatusNotification', { connectorId: 1, errorCode: 'NoError', status: 'Charging' });
  }
  if (cmd === 'meter') {
    const amps = Number(arg);
    energyWh += 500;
    const sv = [{ value: String(energyWh), measurand: 'Energy.Active.Import.Register', unit: 'Wh' },
                { value: String(amps * 230 * phases), measurand: 'Power.Active.Import', unit: 'W' }];
    for (const ph of ['L1', 'L2', 'L3']) sv.push({ value: String(amps), measurand: 'Current.Import', phase: ph, unit: 'A' });
    await client.call('MeterValues', { connectorId: 1, transactionId: transactionId || undefined,
                                       meterValue: [{ timestamp: new Date().toISOString(), sampledValue: sv }] });
    emit({ event: 'metered', amps });
  }
  if (cmd === 'stop') {
    await client.call('StopTransaction', { transactionId, meterStop: energyWh, timestamp: new Date().toISOString(), reason: 'EVDisconnected' });
    emit({ event: 'stopped', transactionId });
    transactionId = null;
  }
  if (cmd === 'reconnect') { await client.close({ code: 1000, awaitPending: false }); await connect(); }
  if (cmd === 'exit') process.exit(0);
}

setInterval(() => {
  const l = effectiveLimit(Date.now());
  if (l !== lastLimit) { lastLimit = l; emit({ event: 'limit', amps: l }); }
}, 200);

require('readline').createInterface({ input: process.stdin }).on('line', (line) => {
  command(line).catch((e) => emit({ event: 'error', command: line, error: String(e.message || e) }));
});
connect().catch((e) => emit({ event: 'error', error: String(e.message || e) }));
