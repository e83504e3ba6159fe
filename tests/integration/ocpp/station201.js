// An OCPP 2.0.1 charging station on ocpp-rpc in strict mode: every message hemd sends it is validated against
// the official OCPP 2.0.1 JSON schemas (an invalid one is refused and reported), and so is every message it
// sends. Like chargepoint.js (its 1.6 sibling) it keeps the charging profiles it is given and computes the
// limit it would apply: per purpose the highest stack level in force, a TxProfile of the running transaction
// before the TxDefaultProfile, capped by the ChargingStationMaxProfile. Its car can talk ISO 15118 and say
// what it needs (NotifyEVChargingNeeds).
//
// usage: node station201.js --url ws://127.0.0.1:PORT/ocpp --id ID [--password P] [--rate-unit A|W|A,W]
//        [--reject-tx-default] [--stack-level N] [--periods N] [--ca PEM] [--cert PEM --key PEM]
// stdin: plug | start [TAG] | meter AMPS | needs WH DEPARTURE_IN_S | stop | exit   stdout: JSON events
const path = require('path');
const fs = require('fs');
const { RPCClient, createRPCError } = require(path.join(__dirname, '../../peers/node_modules/ocpp-rpc'));

const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.lastIndexOf('--' + name); return i < 0 ? dflt : args[i + 1]; };
const flag = (name) => args.includes('--' + name);
const id = opt('id', 'cs1');
const phases = 3;
const hardwareMaxA = 32;
const emit = (event) => process.stdout.write(JSON.stringify(event) + '\n');
const now = () => new Date().toISOString();

const profiles = new Map();  // `${purpose}/${stackLevel}` -> {profile, received, evseId}
let client = null;
let transactionId = null;
let seqNo = 0;
let connectorStatus = 'Available';
let energyWh = 1000;
let lastLimit = null;

function periodLimit(entry, t) {
  const p = entry.profile;
  const s = p.chargingSchedule[0];
  const start = s.startSchedule && p.chargingProfileKind !== 'Relative' ? Date.parse(s.startSchedule) : entry.received;
  const elapsed = (t - start) / 1000;
  if (elapsed < 0 || (s.duration !== undefined && elapsed >= s.duration)) return null;
  let period = null;
  for (const pp of s.chargingSchedulePeriod) if (pp.startPeriod <= elapsed) period = pp;
  if (!period) return null;
  return s.chargingRateUnit === 'W' ? period.limit / 230 / (period.numberPhases || phases) : period.limit;
}

function highest(purpose, t) {
  let best = null;
  for (const entry of profiles.values()) {
    const p = entry.profile;
    if (p.chargingProfilePurpose !== purpose) continue;
    if (purpose === 'TxProfile' && (transactionId === null || p.transactionId !== transactionId)) continue;
    const l = periodLimit(entry, t);
    if (l !== null && (!best || p.stackLevel > best.level)) best = { level: p.stackLevel, limit: l };
  }
  return best ? best.limit : null;
}

function effectiveLimit(t) {
  let tx = highest('TxProfile', t);
  if (tx === null) tx = highest('TxDefaultProfile', t);
  const limits = [tx, highest('ChargingStationMaxProfile', t)].filter((l) => l !== null);
  return limits.length ? Math.round(Math.min(...limits) * 100) / 100 : null;
}

async function sendStatus(s) {
  connectorStatus = s;
  await client.call('StatusNotification', { timestamp: now(), connectorStatus: s, evseId: 1, connectorId: 1 });
}

function meterValue(amps) {
  const sv = [{ value: energyWh / 1000, measurand: 'Energy.Active.Import.Register', unitOfMeasure: { unit: 'kWh' } },
              { value: amps * 230 * phases, measurand: 'Power.Active.Import' }];
  for (const ph of ['L1', 'L2', 'L3']) sv.push({ value: amps, measurand: 'Current.Import', phase: ph, unitOfMeasure: { unit: 'A' } });
  return [{ timestamp: now(), sampledValue: sv }];
}

async function transactionEvent(eventType, triggerReason, info, extra = {}) {
  return client.call('TransactionEvent', { eventType, timestamp: now(), triggerReason, seqNo: seqNo++,
                                           transactionInfo: { transactionId, ...info }, evse: { id: 1, connectorId: 1 }, ...extra });
}

// Plugging in starts the transaction (TxStartPoint EVConnected, the 2.0.1 default); the token comes later.
async function plug() {
  await sendStatus('Occupied');
  transactionId = `tx-${Date.now()}`;
  seqNo = 0;
  await transactionEvent('Started', 'CablePluggedIn', { chargingState: 'EVConnected' }, { meterValue: meterValue(0) });
  emit({ event: 'started', transactionId });
}

async function authorize(tag, trigger = 'Authorized') {
  const r = await transactionEvent('Updated', trigger, { chargingState: 'Charging' },
                                   { idToken: { idToken: tag, type: 'ISO14443' } });
  emit({ event: 'authorized', status: r.idTokenInfo && r.idTokenInfo.status });
}

async function unplug(reason = 'EVDisconnected') {
  const tx = transactionId;
  await transactionEvent('Ended', 'EVCommunicationLost', { chargingState: 'Idle', stoppedReason: reason }, { meterValue: meterValue(0) });
  transactionId = null;
  for (const [key, entry] of profiles) if (entry.profile.chargingProfilePurpose === 'TxProfile') profiles.delete(key);
  emit({ event: 'stopped', transactionId: tx, reason });
}

const later = (fn) => setTimeout(() => fn().catch((e) => emit({ event: 'error', error: String(e.message || e) })), 10);

const variables = () => ({
  'SmartChargingCtrlr/RateUnit': opt('rate-unit', 'A,W'),
  'SmartChargingCtrlr/PeriodsPerSchedule': opt('periods', '5'),
  'SmartChargingCtrlr/ProfileStackLevel': opt('stack-level', '8'),
  'SmartChargingCtrlr/Enabled': 'true',
  'SampledDataCtrlr/TxUpdatedInterval': '60',
  'SampledDataCtrlr/TxUpdatedMeasurands': 'Energy.Active.Import.Register',
});

function handlers(cli) {
  const vars = variables();
  cli.handle('GetVariables', ({ params }) => ({
    getVariableResult: params.getVariableData.map((d) => {
      const key = `${d.component.name}/${d.variable.name}`;
      return key in vars ? { attributeStatus: 'Accepted', attributeValue: vars[key], component: d.component, variable: d.variable }
                         : { attributeStatus: 'UnknownVariable', component: d.component, variable: d.variable };
    }),
  }));
  cli.handle('SetVariables', ({ params }) => ({
    setVariableResult: params.setVariableData.map((d) => {
      const key = `${d.component.name}/${d.variable.name}`;
      emit({ event: 'config', key, value: d.attributeValue });
      const ok = key in vars;
      if (ok) vars[key] = d.attributeValue;
      return { attributeStatus: ok ? 'Accepted' : 'UnknownVariable', component: d.component, variable: d.variable };
    }),
  }));
  cli.handle('GetBaseReport', ({ params }) => {
    emit({ event: 'base-report', reportBase: params.reportBase });
    later(() => client.call('NotifyReport', {
      requestId: params.requestId, generatedAt: now(), seqNo: 0,
      reportData: Object.entries(vars).map(([key, value]) => {
        const [component, variable] = key.split('/');
        return { component: { name: component }, variable: { name: variable }, variableAttribute: [{ type: 'Actual', value }] };
      }),
    }));
    return { status: 'Accepted' };
  });
  cli.handle('SetChargingProfile', ({ params }) => {
    const p = params.chargingProfile;
    const s = p.chargingSchedule[0];
    emit({ event: 'profile', evseId: params.evseId, stackLevel: p.stackLevel, purpose: p.chargingProfilePurpose,
           kind: p.chargingProfileKind, unit: s.chargingRateUnit, limit: s.chargingSchedulePeriod[0].limit,
           periods: s.chargingSchedulePeriod.length, duration: s.duration, transactionId: p.transactionId,
           numberPhases: s.chargingSchedulePeriod[0].numberPhases, id: p.id });
    const refused = (flag('reject-tx-default') && p.chargingProfilePurpose === 'TxDefaultProfile') ||
      (p.chargingProfilePurpose === 'TxProfile' && (transactionId === null || p.transactionId !== transactionId)) ||
      (p.chargingProfilePurpose === 'ChargingStationMaxProfile' && params.evseId !== 0) ||
      s.chargingSchedulePeriod.length > Number(vars['SmartChargingCtrlr/PeriodsPerSchedule']);
    if (refused) return { status: 'Rejected' };
    profiles.set(`${p.chargingProfilePurpose}/${p.stackLevel}`, { profile: p, received: Date.now(), evseId: params.evseId });
    return { status: 'Accepted' };
  });
  cli.handle('ClearChargingProfile', ({ params }) => {
    emit({ event: 'clear', params });
    const c = params.chargingProfileCriteria || {};
    let removed = 0;
    for (const [key, e] of profiles) {
      const p = e.profile;
      if ((params.chargingProfileId === undefined || p.id === params.chargingProfileId) &&
          (c.evseId === undefined || e.evseId === c.evseId) &&
          (c.chargingProfilePurpose === undefined || p.chargingProfilePurpose === c.chargingProfilePurpose) &&
          (c.stackLevel === undefined || p.stackLevel === c.stackLevel)) { profiles.delete(key); ++removed; }
    }
    return { status: removed ? 'Accepted' : 'Unknown' };
  });
  cli.handle('GetCompositeSchedule', ({ params }) => {
    const amps = effectiveLimit(Date.now());
    const a = amps === null ? hardwareMaxA : amps;
    const unit = params.chargingRateUnit || 'A';
    emit({ event: 'composite', amps: a });
    return { status: 'Accepted', schedule: { evseId: params.evseId, duration: params.duration, scheduleStart: now(), chargingRateUnit: unit,
                                             chargingSchedulePeriod: [{ startPeriod: 0, limit: unit === 'W' ? Math.round(a * 230 * phases) : a }] } };
  });
  cli.handle('TriggerMessage', ({ params }) => {
    const what = params.requestedMessage;
    emit({ event: 'trigger', message: what });
    if (what === 'BootNotification') later(boot);
    else if (what === 'StatusNotification') later(() => sendStatus(connectorStatus));
    else if (what === 'Heartbeat') later(() => client.call('Heartbeat', {}));
    else return { status: 'NotImplemented' };
    return { status: 'Accepted' };
  });
  cli.handle('RequestStartTransaction', ({ params }) => {
    emit({ event: 'remote-start', idToken: params.idToken.idToken, remoteStartId: params.remoteStartId });
    if (connectorStatus !== 'Occupied') return { status: 'Rejected' };
    later(() => authorize(params.idToken.idToken, 'RemoteStart'));
    return { status: 'Accepted', transactionId: transactionId || undefined };
  });
  cli.handle('RequestStopTransaction', ({ params }) => {
    emit({ event: 'remote-stop', transactionId: params.transactionId });
    if (transactionId === null || params.transactionId !== transactionId) return { status: 'Rejected' };
    later(() => unplug('Remote'));
    return { status: 'Accepted' };
  });
  cli.handle('ChangeAvailability', ({ params }) => {
    emit({ event: 'availability', operationalStatus: params.operationalStatus, evse: params.evse });
    return { status: 'Accepted' };
  });
  cli.handle('Reset', ({ params }) => {
    emit({ event: 'reset', type: params.type });
    later(async () => { await client.close({ code: 1012, awaitPending: false }); await connect(); });
    return { status: 'Accepted' };
  });
  cli.handle('UnlockConnector', ({ params }) => {
    emit({ event: 'unlock', evseId: params.evseId, connectorId: params.connectorId });
    return { status: 'Unlocked' };
  });
  cli.handle(({ method }) => { emit({ event: 'unhandled', action: method }); throw createRPCError('NotImplemented'); });
}

async function boot() {
  const r = await client.call('BootNotification', { reason: 'PowerUp', chargingStation: { vendorName: 'hemd-test', model: 'Strict CS 2.0.1' } });
  emit({ event: 'boot', status: r.status, interval: r.interval });
  await sendStatus(connectorStatus);
}

async function connect() {
  profiles.clear();
  const wsOpts = {};
  if (opt('ca')) wsOpts.ca = fs.readFileSync(opt('ca'));
  if (opt('cert')) { wsOpts.cert = fs.readFileSync(opt('cert')); wsOpts.key = fs.readFileSync(opt('key')); }
  client = new RPCClient({ endpoint: opt('url'), identity: id, password: opt('password'), protocols: ['ocpp2.0.1'],
                           strictMode: true, reconnect: false, callTimeoutMs: 20000, wsOpts });
  handlers(client);
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
  const [cmd, arg, arg2] = line.trim().split(/\s+/);
  emit({ event: 'command', line });
  if (cmd === 'plug') await plug();
  if (cmd === 'start') await authorize(arg || 'TAG1');
  if (cmd === 'meter') {
    const amps = Number(arg);
    energyWh += 500;
    await transactionEvent('Updated', 'MeterValuePeriodic', {}, { meterValue: meterValue(amps) });
    emit({ event: 'metered', amps });
  }
  if (cmd === 'needs') {
    const r = await client.call('NotifyEVChargingNeeds', {
      evseId: 1,
      chargingNeeds: { requestedEnergyTransfer: 'AC_three_phase', departureTime: new Date(Date.now() + Number(arg2) * 1000).toISOString(),
                       acChargingParameters: { energyAmount: Number(arg), evMinCurrent: 6, evMaxCurrent: 16, evMaxVoltage: 400 } },
    });
    emit({ event: 'needs', status: r.status });
  }
  if (cmd === 'stop') { await unplug(); await sendStatus('Available'); }
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
