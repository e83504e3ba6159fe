// An OCPP 1.6J charge point on ocpp-rpc in strict mode: every message hemd sends it is validated against the
// official OCPP 1.6 JSON schemas (an invalid one is refused and reported), and so is every message it sends.
// It keeps the charging profiles it is given and computes the limit it would apply, the way a charger does:
// per purpose the highest stack level whose schedule is in force, a TxProfile (of the running transaction)
// before the TxDefaultProfile, capped by the ChargePointMaxProfile; a lapsed profile no longer counts.
//
// usage: node chargepoint.js --url ws://127.0.0.1:PORT/ocpp --id ID [--password P] [--unit Current|Power]
//        [--reject-profiles] [--reject-tx-default] [--reject-max-profile] [--ignore-profiles] [--silent]
//        [--stack-level N] [--max-periods N] [--vendor V] [--model M] [--firmware F] [--serial S] [--ca PEM] [--cert PEM --key PEM]
//        [--reboot-on-measurands N] (reboots when asked for more than N measurands, as ABB Terra AC firmware did)
//        [--relative-only] (refuses Absolute limits, as older Wallbox firmware did)
//        [--tx-profile-anytime] (takes a TxProfile without a transaction: it holds for the next one)
//        [--reject-availability-0] (refuses ChangeAvailability for connector 0, as some do)
//        [--stray-error] (sends a CALLERROR with an id hemd never used while ChangeAvailability is answered late)
//        [--readonly-int] (GetConfiguration says "readonly": 1, not a boolean: the one deviation let through)
//        [--error-setup] (a CALLERROR to every set-up call: configuration, availability, clearing, triggers)
//        [--measurands M,M...] (MeterValuesSampledData with any other measurand is rejected whole, as 1.6 says)
//        [--answer-delay-ms N] (answers SetChargingProfile N ms late, as real chargers take their time)
//        [--sleep-after-pause MS] (acts a car: every second it draws what it is offered and reports it; after a
//        pause of at least MS ms it falls asleep: SuspendedEV and 0 A until woken by a method in --wakes-by)
//        [--wakes-by availability_cycle,restart_transaction|none] (what wakes the sleeping car; default both)
// stdin: plug | start [TAG] | meter AMPS | stop | reconnect | reconnect-quiet (keeps its profiles, no boot) |
//        exit      stdout: one JSON event per line, each with its time t in ms
const path = require('path');
const { RPCClient, createRPCError, createValidator } = require(path.join(__dirname, '../../peers/node_modules/ocpp-rpc'));

const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.lastIndexOf('--' + name); return i < 0 ? dflt : args[i + 1]; };  // the last one wins
const flag = (name) => args.includes('--' + name);
const id = opt('id', 'cp1');
const phases = 3;
const hardwareMaxA = 32;
const emit = (event) => process.stdout.write(JSON.stringify({ ...event, t: Date.now() }) + '\n');

const profiles = new Map();  // `${purpose}/${stackLevel}` -> {profile, received, connectorId}
let client = null;
let transactionId = null;
let status = 'Available';
let energyWh = 1000;
let lastLimit = null;
// With --measurands, what MeterValuesSampledData says is sampled (the energy register until hemd sets it);
// otherwise everything.
let sampled = opt('measurands') ? ['Energy.Active.Import.Register'] : null;

function periodLimit(entry, now) {
  const p = entry.profile;
  const s = p.chargingSchedule;
  const start = s.startSchedule && p.chargingProfileKind !== 'Relative' ? Date.parse(s.startSchedule) : entry.received;
  const elapsed = (now - start) / 1000;
  if (elapsed < 0) return null;
  if (s.duration !== undefined && elapsed >= s.duration) return null;
  let period = null;
  for (const pp of s.chargingSchedulePeriod) if (pp.startPeriod <= elapsed) period = pp;
  if (!period) return null;
  return s.chargingRateUnit === 'W' ? period.limit / 230 / (period.numberPhases || phases) : period.limit;
}

function highest(purpose, now) {
  let best = null;
  for (const entry of profiles.values()) {
    const p = entry.profile;
    if (p.chargingProfilePurpose !== purpose) continue;
    if (purpose === 'TxProfile' && (transactionId === null || (p.transactionId !== undefined && p.transactionId !== transactionId))) continue;
    const l = periodLimit(entry, now);
    if (l !== null && (!best || p.stackLevel > best.level)) best = { level: p.stackLevel, limit: l };
  }
  return best ? best.limit : null;
}

function effectiveLimit(now) {
  let tx = highest('TxProfile', now);
  if (tx === null) tx = highest('TxDefaultProfile', now);
  const cap = highest('ChargePointMaxProfile', now);
  const limits = [tx, cap].filter((l) => l !== null);
  if (!limits.length) return null;  // no profile: the charger's own maximum
  return Math.round(Math.min(...limits) * 100) / 100;
}

// The limit as the charger sees it after every change to its profiles, not only at the next poll: a step
// up between two changes is seen however short it is.
function checkLimit() {
  const l = effectiveLimit(Date.now());
  if (l !== lastLimit) { lastLimit = l; emit({ event: 'limit', amps: l }); }
}

async function sendStatus(s) {
  status = s;
  await client.call('StatusNotification', { connectorId: 1, errorCode: 'NoError', status: s });
}

async function sendMeter(amps) {
  const sv = [{ value: String(energyWh), measurand: 'Energy.Active.Import.Register', unit: 'Wh' },
              { value: String(amps * 230 * phases), measurand: 'Power.Active.Import', unit: 'W' }];
  for (const ph of ['L1', 'L2', 'L3']) sv.push({ value: String(amps), measurand: 'Current.Import', phase: ph, unit: 'A' });
  const taken = sampled ? sv.filter((v) => sampled.includes(v.measurand)) : sv;
  await client.call('MeterValues', { connectorId: 1, transactionId: transactionId || undefined,
                                     meterValue: [{ timestamp: new Date().toISOString(), sampledValue: taken }] });
}

async function startTransaction(tag) {
  const r = await client.call('StartTransaction', { connectorId: 1, idTag: tag, meterStart: energyWh, timestamp: new Date().toISOString() });
  transactionId = r.transactionId;
  emit({ event: 'started', transactionId, status: r.idTagInfo.status });
  await sendStatus('Charging');
}

async function stopTransaction(reason) {
  const tx = transactionId;
  transactionId = null;
  for (const [key, entry] of profiles) if (entry.profile.chargingProfilePurpose === 'TxProfile') profiles.delete(key);
  await client.call('StopTransaction', { transactionId: tx, meterStop: energyWh, timestamp: new Date().toISOString(), reason });
  emit({ event: 'stopped', transactionId: tx, reason });
}

// The car (--sleep-after-pause): awake, it draws the limit in force; paused long enough, it sleeps through
// the next raise, as a Dacia Spring does (evcc #21293), until a method it answers wakes it.
const carSleepsAfter = opt('sleep-after-pause') === undefined ? null : Number(opt('sleep-after-pause'));
const wakesBy = opt('wakes-by', 'availability_cycle,restart_transaction').split(',');
let asleep = false;
let pausedSince = null;
let wentInoperative = false;

function wake(method) {
  if (!asleep || !wakesBy.includes(method)) return emit({ event: 'still-asleep', method });
  asleep = false;
  emit({ event: 'woken', method });
}

async function carTick() {
  if (transactionId === null || status === 'Unavailable' || status === 'Finishing') return;
  const limit = effectiveLimit(Date.now());
  const offered = limit === null ? hardwareMaxA : limit >= 6 ? limit : 0;
  if (offered === 0) {
    if (pausedSince === null) pausedSince = Date.now();
    if (!asleep && Date.now() - pausedSince >= carSleepsAfter) { asleep = true; emit({ event: 'asleep' }); }
  } else {
    pausedSince = null;
  }
  const amps = asleep ? 0 : offered;
  const next = offered === 0 ? 'SuspendedEVSE' : asleep ? 'SuspendedEV' : 'Charging';
  if (next !== status) await sendStatus(next);
  energyWh += (amps * 230 * phases) / 3600;
  await sendMeter(amps);
}

const later = (fn) => setTimeout(() => fn().catch((e) => emit({ event: 'error', error: String(e.message || e) })), 10);

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const setupCalls = ['GetConfiguration', 'ChangeConfiguration', 'ChangeAvailability', 'ClearChargingProfile', 'TriggerMessage'];

function handlers(cli) {
  // Every call hemd sends, and how many are being answered at once (OCPP-J: one CALL in flight).
  let answering = 0;
  const handle = cli.handle.bind(cli);
  cli.handle = (method, fn) => {
    if (typeof method !== 'string') return handle(method, fn);
    handle(method, async (call) => {
      if (++answering > 1) emit({ event: 'overlap', action: method });
      try {
        if (flag('error-setup') && setupCalls.includes(method)) {
          emit({ event: 'erred', action: method });
          throw createRPCError('InternalError', 'set-up refused');
        }
        return await fn(call);
      } finally {
        --answering;
      }
    });
  };
  cli.handle('GetConfiguration', () => ({
    configurationKey: [
      { key: 'ChargeProfileMaxStackLevel', readonly: flag('readonly-int') ? 1 : true, value: opt('stack-level', '8') },
      { key: 'ChargingScheduleAllowedChargingRateUnit', readonly: true, value: opt('unit', 'Current') },
      { key: 'ChargingScheduleMaxPeriods', readonly: true, value: opt('max-periods', '5') },
      { key: 'MeterValuesSampledData', readonly: false, value: 'Energy.Active.Import.Register' },
    ],
  }));
  cli.handle('ChangeConfiguration', ({ params }) => {
    emit({ event: 'config', key: params.key, value: params.value });
    const supported = opt('measurands', '');
    if (supported && params.key === 'MeterValuesSampledData' &&
        params.value.split(',').some((m) => !supported.split(',').includes(m))) {
      emit({ event: 'measurands-rejected', value: params.value });
      return { status: 'Rejected' };
    }
    if (supported && params.key === 'MeterValuesSampledData') sampled = params.value.split(',');
    const most = Number(opt('reboot-on-measurands', '0'));
    if (most && params.key === 'MeterValuesSampledData' && params.value.split(',').length > most) {
      emit({ event: 'rebooting' });
      later(async () => { await client.close({ code: 1012, awaitPending: false }); await connect(); });
    }
    return { status: 'Accepted' };
  });
  cli.handle('SetChargingProfile', async ({ params }) => {
    const p = params.csChargingProfiles;
    const s = p.chargingSchedule;
    emit({ event: 'profile', connectorId: params.connectorId, stackLevel: p.stackLevel, purpose: p.chargingProfilePurpose,
           kind: p.chargingProfileKind, unit: s.chargingRateUnit, limit: s.chargingSchedulePeriod[0].limit,
           periods: s.chargingSchedulePeriod.length, duration: s.duration, transactionId: p.transactionId,
           numberPhases: s.chargingSchedulePeriod[0].numberPhases,
           id: p.chargingProfileId });
    const maxPeriods = Number(opt('max-periods', '5'));
    const refused = flag('reject-profiles') ||
      (flag('relative-only') && p.chargingProfilePurpose !== 'ChargePointMaxProfile' && p.chargingProfileKind !== 'Relative') ||
      (flag('reject-tx-default') && p.chargingProfilePurpose === 'TxDefaultProfile') ||
      (flag('reject-max-profile') && p.chargingProfilePurpose === 'ChargePointMaxProfile') ||
      (p.chargingProfilePurpose === 'TxProfile' && !flag('tx-profile-anytime') && (transactionId === null || p.transactionId !== transactionId)) ||
      (p.chargingProfilePurpose === 'ChargePointMaxProfile' && params.connectorId !== 0) ||
      s.chargingSchedulePeriod.length > maxPeriods;
    if (refused) return { status: 'Rejected' };
    const delay = Number(opt('answer-delay-ms', '0'));
    if (delay) await sleep(delay);
    if (!flag('ignore-profiles'))  // a charger that says Accepted and goes on as before
      profiles.set(`${p.chargingProfilePurpose}/${p.stackLevel}`, { profile: p, received: Date.now(), connectorId: params.connectorId });
    checkLimit();
    emit({ event: 'profile-answered', id: p.chargingProfileId, limit: s.chargingSchedulePeriod[0].limit });
    return { status: 'Accepted' };
  });
  cli.handle('ClearChargingProfile', ({ params }) => {
    emit({ event: 'clear', params });
    let removed = 0;
    for (const [key, e] of profiles) {
      const p = e.profile;
      if ((params.id === undefined || p.chargingProfileId === params.id) &&
          (params.connectorId === undefined || e.connectorId === params.connectorId) &&
          (params.chargingProfilePurpose === undefined || p.chargingProfilePurpose === params.chargingProfilePurpose) &&
          (params.stackLevel === undefined || p.stackLevel === params.stackLevel)) { profiles.delete(key); ++removed; }
    }
    checkLimit();
    return { status: removed ? 'Accepted' : 'Unknown' };
  });
  cli.handle('GetCompositeSchedule', ({ params }) => {
    const amps = effectiveLimit(Date.now());
    const a = amps === null ? hardwareMaxA : amps;
    const unit = params.chargingRateUnit || 'A';
    emit({ event: 'composite', amps: a });
    return { status: 'Accepted', connectorId: params.connectorId, scheduleStart: new Date().toISOString(),
             chargingSchedule: { duration: params.duration, chargingRateUnit: unit,
                                 chargingSchedulePeriod: [{ startPeriod: 0, limit: unit === 'W' ? a * 230 * phases : a }] } };
  });
  cli.handle('TriggerMessage', ({ params }) => {
    const what = params.requestedMessage;
    emit({ event: 'trigger', message: what });
    if (what === 'BootNotification') later(boot);
    else if (what === 'StatusNotification') later(() => sendStatus(status));
    else if (what === 'MeterValues') later(() => sendMeter(0));
    else if (what === 'Heartbeat') later(() => client.call('Heartbeat', {}));
    else return { status: 'NotImplemented' };
    return { status: 'Accepted' };
  });
  cli.handle('RemoteStartTransaction', ({ params }) => {
    emit({ event: 'remote-start', idTag: params.idTag });
    if (transactionId !== null || status === 'Available' || status === 'Unavailable') return { status: 'Rejected' };
    later(async () => {
      await startTransaction(params.idTag);
      if (carSleepsAfter !== null) wake('restart_transaction');  // a new session: the pilot signal restarts
    });
    return { status: 'Accepted' };
  });
  cli.handle('RemoteStopTransaction', ({ params }) => {
    emit({ event: 'remote-stop', transactionId: params.transactionId });
    if (transactionId === null || params.transactionId !== transactionId) return { status: 'Rejected' };
    later(async () => { await stopTransaction('Remote'); await sendStatus('Finishing'); });
    if (carSleepsAfter !== null) wentInoperative = false;
    return { status: 'Accepted' };
  });
  cli.handle('ChangeAvailability', async ({ params }) => {
    emit({ event: 'availability', connectorId: params.connectorId, type: params.type });
    if (flag('stray-error')) {
      // A CALLERROR for a message hemd never sent, then the real answer a second later.
      client._ws.send(JSON.stringify([4, 'bogus-1', 'GenericError', 'stray', {}]));
      await sleep(1000);
    }
    if (flag('reject-availability-0') && params.connectorId === 0) return { status: 'Rejected' };
    if (carSleepsAfter !== null) {
      // The car sees the supply go and come back (the charger keeps the session).
      if (params.type === 'Inoperative') wentInoperative = true;
      else if (wentInoperative) { wentInoperative = false; later(async () => wake('availability_cycle')); }
    }
    // A charger reports what its connector does: Operative brings back Available only from Unavailable.
    // (A car in a session is still plugged in: it comes back suspended, and its next report says how it draws.)
    const back = carSleepsAfter !== null && transactionId !== null ? 'SuspendedEV' : 'Available';
    later(() => sendStatus(params.type === 'Inoperative' ? 'Unavailable' : (status === 'Unavailable' ? back : status)));
    return { status: 'Accepted' };
  });
  cli.handle('Reset', ({ params }) => {
    emit({ event: 'reset', type: params.type });
    later(async () => { await client.close({ code: 1012, awaitPending: false }); await connect(); });
    return { status: 'Accepted' };
  });
  cli.handle('UnlockConnector', ({ params }) => {
    emit({ event: 'unlock', connectorId: params.connectorId });
    if (transactionId !== null) later(() => stopTransaction('UnlockCommand'));
    return { status: 'Unlocked' };
  });
  cli.handle(({ method }) => { emit({ event: 'unhandled', action: method }); throw createRPCError('NotImplemented'); });
}

async function boot() {
  // Firmware and serial number only when given (absent keys are left out of the JSON).
  const r = await client.call('BootNotification', {
    chargePointVendor: opt('vendor', 'hemd-test'), chargePointModel: opt('model', 'Strict CP'),
    firmwareVersion: opt('firmware'), chargePointSerialNumber: opt('serial'),
  });
  emit({ event: 'boot', status: r.status, interval: r.interval });
  await sendStatus(status === 'Unavailable' ? 'Available' : status);
}

// The official schemas; with --readonly-int, GetConfiguration's readonly may be an integer too (the
// firmware's one deviation), everything else as strict as ever.
function validators() {
  if (!flag('readonly-int')) return [];
  const schemas = JSON.parse(JSON.stringify(require(path.join(__dirname, '../../peers/node_modules/ocpp-rpc/lib/schemas/ocpp1_6.json'))));
  const conf = schemas.find((s) => s.$id === 'urn:GetConfiguration.conf');
  conf.properties.configurationKey.items.properties.readonly.type = ['boolean', 'integer'];
  return [createValidator('ocpp1.6', schemas)];
}

async function connect(quiet = false) {
  if (!quiet) profiles.clear();  // a rebooted charger may forget; hemd must send again
  // wss://: the CA it trusts (--ca) and, for security profile 3, its own certificate (--cert, --key).
  const fs = require('fs');
  const wsOpts = {};
  if (opt('ca')) wsOpts.ca = fs.readFileSync(opt('ca'));
  if (opt('cert')) { wsOpts.cert = fs.readFileSync(opt('cert')); wsOpts.key = fs.readFileSync(opt('key')); }
  client = new RPCClient({ endpoint: opt('url'), identity: id, password: opt('password'), protocols: ['ocpp1.6'],
                           strictMode: true, strictModeValidators: validators(), reconnect: false,
                           callTimeoutMs: 20000, wsOpts });
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
  if (!quiet) await boot();
  return true;
}

async function command(line) {
  const [cmd, arg] = line.trim().split(/\s+/);
  emit({ event: 'command', line });
  if (cmd === 'plug') await sendStatus('Preparing');
  if (cmd === 'start') await startTransaction(arg || 'TAG1');
  if (cmd === 'meter') {
    const amps = Number(arg);
    energyWh += 500;
    await sendMeter(amps);
    emit({ event: 'metered', amps });
  }
  if (cmd === 'stop') { await stopTransaction('EVDisconnected'); await sendStatus('Available'); }
  if (cmd === 'reconnect') { await client.close({ code: 1000, awaitPending: false }); await connect(); }
  if (cmd === 'reconnect-quiet') { await client.close({ code: 1001, awaitPending: false }); await connect(true); }
  if (cmd === 'exit') process.exit(0);
}

setInterval(checkLimit, 200);
if (carSleepsAfter !== null)
  setInterval(() => carTick().catch((e) => emit({ event: 'error', error: String(e.message || e) })), 1000);

require('readline').createInterface({ input: process.stdin }).on('line', (line) => {
  command(line).catch((e) => emit({ event: 'error', command: line, error: String(e.message || e) }));
});
connect().catch((e) => emit({ event: 'error', error: String(e.message || e) }));
