#!/usr/bin/python3
"""A Modbus TCP or RTU server (Debian's pymodbus) laid out like real devices, for hemd's integration tests.

Each layout writes the registers where the vendor's documentation puts them; hemd must find the values
through its own maps and SunSpec code. Values are the same for every layout so the test can check them:
power 3456 W (or -3456 with --export), currents 5.5/6.5/7.5 A, voltages 230.1/231.2/232.3 V, energy
import 123456 Wh, export 654321 Wh.

usage: modbus_server.py (--tcp | --rtu DEVICE) --device UNIT:LAYOUT[:BASE] [--device ...] [--power W]
Prints "READY <port>" when it serves.

Battery layouts (huawei_battery, goodwe_battery, solaredge_battery, victron_battery, sunspec_storage,
gen24_storage) hold power 3456 W discharging (in each vendor's own sign) and SoC 65.4 %; Huawei's and GoodWe's
also their lifetime charge 2345600 Wh and discharge 1987600 Wh. Every register a client writes is printed
as "WRITE <unit> <address> <word> ..." (pymodbus keeps it, as a device would).

stdin, one command per line, to change what every device holds while it serves (printed back as "SET ..."):
  set KEY=VALUE ...   a1 a2 a3 (currents, A), power (W), e_imp, e_exp, e_chg, e_dis (Wh); a_sf_na=1: the SunSpec meter's
                      current scale factor reads "not implemented" (0x8000)
"""
import argparse
import socket
import struct
import sys
import threading

from pymodbus.datastore import ModbusSequentialDataBlock, ModbusServerContext, ModbusSlaveContext
from pymodbus.server import StartSerialServer, StartTcpServer
from pymodbus.transaction import ModbusRtuFramer

V = [230.1, 231.2, 232.3]
A = [5.5, 6.5, 7.5]
E_IMP, E_EXP = 123456.0, 654321.0
E_CHG, E_DIS = 2345600.0, 1987600.0  # a battery's lifetime charge and discharge (Huawei and GoodWe keep them)


def f32(x, low_first=False):
    hi, lo = struct.unpack(">HH", struct.pack(">f", x))
    return [lo, hi] if low_first else [hi, lo]


def i32(x, low_first=False):
    hi, lo = struct.unpack(">HH", struct.pack(">i", int(round(x))))
    return [lo, hi] if low_first else [hi, lo]


def u32(x):
    return list(struct.unpack(">HH", struct.pack(">I", int(round(x)))))


def i16(x):
    return struct.unpack(">H", struct.pack(">h", int(round(x))))[0]


def text(s, n):
    b = s.encode().ljust(2 * n, b"\0")
    return [b[i] << 8 | b[i + 1] for i in range(0, 2 * n, 2)]


class Regs:
    def __init__(self):
        self.holding = {}
        self.input = {}

    def put(self, table, address, words):
        for i, w in enumerate(words):
            table[address + i] = w & 0xFFFF


def sunspec(r, base, model, power):
    """Common model 1, then one inverter or meter model, then the end marker."""
    regs = [0x5375, 0x6E53, 1, 66] + text("hemd-test", 16) + text("Sim %d" % model, 16) + [0] * 8 + text("1.0", 8)
    regs += text("SN-%d" % model, 16) + [1, 0]
    if model in (101, 102, 103):
        body = [0] * 50
        body[0:5] = [int(sum(A) * 10), int(A[0] * 10), int(A[1] * 10), int(A[2] * 10), i16(-1)]  # A, SF -1
        body[8:12] = [int(V[0] * 10), int(V[1] * 10), int(V[2] * 10), i16(-1)]
        body[12:14] = [i16(power / 10), i16(1)]  # W with SF +1
        body[22:25] = u32(E_EXP / 10) + [i16(1)]  # WH acc32, SF +1
    elif model in (111, 112, 113):
        body = [0] * 60
        body[0:2] = f32(sum(A))
        for ph in range(3):
            body[2 + 2 * ph:4 + 2 * ph] = f32(A[ph])
            body[14 + 2 * ph:16 + 2 * ph] = f32(V[ph])
        body[20:22] = f32(power)
        body[30:32] = f32(E_EXP)
    elif model in (201, 202, 203, 204):
        body = [0] * 105
        # Scale factor -2 (centiamps) while the currents fit an int16, else coarser, as a meter would.
        sf = next(f for f in (-2, -1, 0, 1, 2, 3) if max(abs(a) for a in A + [sum(A)]) * 10 ** -f < 32767)
        body[0:5] = [i16(sum(A) * 10 ** -sf)] + [i16(a * 10 ** -sf) for a in A] + [0x8000 if FLAGS["a_sf_na"] else i16(sf)]
        body[5:14] = [i16(V[0] * 10), i16(V[0] * 10), i16(V[1] * 10), i16(V[2] * 10), 0, 0, 0, 0, i16(-1)]
        body[16:21] = [i16(power), 0, 0, 0, i16(0)]
        body[36:38] = u32(E_EXP / 1000)
        body[44:46] = u32(E_IMP / 1000)
        body[52] = i16(3)  # TotWh_SF: kWh registers
    elif model in (211, 212, 213, 214):
        body = [0] * 124
        body[0:2] = f32(sum(A))
        for ph in range(3):
            body[2 + 2 * ph:4 + 2 * ph] = f32(A[ph])
            body[10 + 2 * ph:12 + 2 * ph] = f32(V[ph])
        body[26:28] = f32(power)
        body[58:60] = f32(E_EXP)
        body[66:68] = f32(E_IMP)
    else:
        raise SystemExit("unknown SunSpec model %d" % model)
    regs += [model, len(body)] + body + [0xFFFF, 0]
    r.put(r.holding, base, regs)


def sdm(r, power):  # Eastron SDM630 and SDM72: input registers, float, high word first
    for ph in range(3):
        r.put(r.input, 2 * ph, f32(V[ph]))
        r.put(r.input, 6 + 2 * ph, f32(A[ph]))
    r.put(r.input, 0x34, f32(power))
    r.put(r.input, 0x48, f32(E_IMP / 1000))
    r.put(r.input, 0x4A, f32(E_EXP / 1000))


def em24(r, power):  # Carlo Gavazzi EM24/EM340: INT32 low word first, fixed scales
    for ph in range(3):
        r.put(r.input, 2 * ph, i32(V[ph] * 10, True))
        r.put(r.input, 0x0C + 2 * ph, i32(A[ph] * 1000, True))
    r.put(r.input, 0x28, i32(power * 10, True))
    r.put(r.input, 0x34, i32(E_IMP / 100, True))
    r.put(r.input, 0x4E, i32(E_EXP / 100, True))


def huawei(r, power):
    for ph in range(3):
        r.put(r.holding, 32069 + ph, [int(V[ph] * 10)])
        r.put(r.holding, 32072 + 2 * ph, i32(A[ph] * 1000))
    r.put(r.holding, 32080, i32(power))
    r.put(r.holding, 32106, u32(E_EXP / 10))


def huawei_meter(r, power):  # Huawei counts export positive
    for ph in range(3):
        r.put(r.holding, 37101 + 2 * ph, i32(V[ph] * 10))
        r.put(r.holding, 37107 + 2 * ph, i32(-A[ph] * 100))
    r.put(r.holding, 37113, i32(-power))
    r.put(r.holding, 37119, i32(E_EXP / 10))
    r.put(r.holding, 37121, i32(E_IMP / 10))


def kostal(r, power):  # float, low word first (CDAB)
    for ph in range(3):
        r.put(r.holding, 154 + 6 * ph, f32(A[ph], True))
        r.put(r.holding, 158 + 6 * ph, f32(V[ph], True))
    r.put(r.holding, 172, f32(power, True))
    r.put(r.holding, 320, f32(E_EXP, True))


def goodwe(r, power):
    for ph in range(3):
        r.put(r.holding, 35121 + 5 * ph, [int(round(V[ph] * 10)), int(round(A[ph] * 10))])
    r.put(r.holding, 35138, [i16(power)])
    r.put(r.holding, 35191, u32(E_EXP / 100))


SOC = 65.4


def huawei_battery(r, power):  # counts charging positive
    r.put(r.holding, 37760, [int(round(SOC * 10))])
    r.put(r.holding, 37765, i32(-power))
    r.put(r.holding, 37780, u32(E_CHG / 10) + u32(E_DIS / 10))  # total charge, discharge (kWh gain 100)
    r.put(r.holding, 47077, u32(5000))  # maximum discharge power


def goodwe_battery(r, power):  # positive discharging
    r.put(r.holding, 35182, i32(power))
    r.put(r.holding, 37007, [int(round(SOC))])
    r.put(r.holding, 35206, u32(E_CHG / 100) + [0] + u32(E_DIS / 100))  # totals in 0.1 kWh
    r.put(r.holding, 47511, [1, 0])  # EMS mode auto, power 0


def solaredge_battery(r, power):  # float32 low word first, charging positive
    r.put(r.holding, 0xE174, f32(-power, True))
    r.put(r.holding, 0xE184, f32(SOC, True))
    r.put(r.holding, 0xE004, [4] + [0] * 13)  # remote control; the command block up to 0xE011


def victron_battery(r, power):  # charging positive
    r.put(r.holding, 842, [i16(-power)])
    r.put(r.holding, 843, [int(round(SOC))])


def storage_chain(manufacturer, model, serial):
    """The common model and 124 (ChaState SF 0, InOutWRte_SF -1: 100 % is 1000), the models following."""
    regs = [0x5375, 0x6E53, 1, 66] + text(manufacturer, 16) + text(model, 16) + [0] * 8 + text("1.0", 8)
    regs += text(serial, 16) + [1, 0]
    m124 = [0] * 24
    m124[0] = 5000  # WChaMax
    m124[6] = int(round(SOC))  # ChaState (offset 8)
    m124[10] = 1000  # OutWRte 100.0 % (offset 12)
    m124[23] = i16(-1)  # InOutWRte_SF (offset 25)
    return regs + [124, 24] + m124


def sunspec_storage(r, power, base=40000):
    """Common model, 124 and 802 (SoC SF -1, W SF 0)."""
    m802 = [0] * 62
    m802[9] = int(round(SOC * 10))  # SoC (offset 11)
    m802[45] = i16(power)  # W (offset 47)
    m802[54] = i16(-1)  # SoC_SF (offset 56)
    r.put(r.holding, base, storage_chain("hemd-test", "Battery", "SN-802") + [802, 62] + m802 + [0xFFFF, 0])


def gen24_storage(r, power, base=40000):
    """Like a Fronius GEN24: 124 (ChaState, controls) and 160 with the battery as modules "StCha 3" and
    "StDisCha 4" (DCW positive, SF 0); no 802."""
    m160 = [0] * 8
    m160[6] = 4  # N
    for k, (name, watts) in enumerate((("MPPT 1", 2100), ("MPPT 2", 900), ("StCha 3", max(0, -power)),
                                       ("StDisCha 4", max(0, power)))):
        module = [0] * 20
        module[0] = k + 1
        module[1:9] = text(name, 8)
        module[11] = int(round(watts))  # DCW
        m160 += module
    regs = storage_chain("Fronius", "Primo GEN24", "SN-GEN24") + [160, len(m160)] + m160 + [0xFFFF, 0]
    r.put(r.holding, base, regs)


VENDORS = {"sdm630": sdm, "sdm72": sdm, "em24": em24, "em340": em24, "huawei": huawei,
           "huawei_meter": huawei_meter, "kostal": kostal, "goodwe": goodwe, "huawei_battery": huawei_battery,
           "goodwe_battery": goodwe_battery, "solaredge_battery": solaredge_battery,
           "victron_battery": victron_battery, "sunspec_storage": sunspec_storage,
           "gen24_storage": gen24_storage}


FLAGS = {"a_sf_na": False}


def relayout(devices, power):
    """Every device's registers again, from the current values (V, A, E_IMP, E_EXP)."""
    for r, layout, base, blocks in devices:
        r.holding.clear()
        r.input.clear()
        if layout.startswith("sunspec") and layout != "sunspec_storage":
            sunspec(r, base, int(layout[len("sunspec"):]), power)
        else:
            VENDORS[layout](r, power)
        for table, blk in ((r.holding, blocks[0]), (r.input, blocks[1])):
            for a, w in table.items():
                blk.store(a, [w])


def commands(devices, power):
    global E_IMP, E_EXP, E_CHG, E_DIS
    for line in sys.stdin:
        words = line.split()
        if not words or words[0] != "set":
            continue
        for kv in words[1:]:
            k, v = kv.split("=")
            if k in ("a1", "a2", "a3"):
                A[int(k[1]) - 1] = float(v)
            elif k == "power":
                power = float(v)
            elif k == "e_imp":
                E_IMP = float(v)
            elif k == "e_exp":
                E_EXP = float(v)
            elif k == "e_chg":
                E_CHG = float(v)
            elif k == "e_dis":
                E_DIS = float(v)
            elif k == "a_sf_na":
                FLAGS["a_sf_na"] = v == "1"
        relayout(devices, power)
        print("SET " + " ".join(words[1:]), flush=True)


class Traced(ModbusSequentialDataBlock):
    """Registers that print what a client writes; the server's own updates go through store()."""

    def __init__(self, unit, data):
        super().__init__(0, data)
        self.unit = unit

    def store(self, address, values):
        super().setValues(address, values)

    def setValues(self, address, values):
        values = values if isinstance(values, list) else [values]
        print("WRITE %d %d %s" % (self.unit, address, " ".join(str(v) for v in values)), flush=True)
        super().setValues(address, values)


def block(table, unit=0):
    size = (max(table) + 2) if table else 2
    data = [0] * size
    for a, w in table.items():
        data[a] = w
    return Traced(unit, data)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tcp", action="store_true")
    ap.add_argument("--rtu")
    ap.add_argument("--device", action="append", required=True)
    ap.add_argument("--power", type=float, default=3456)
    ap.add_argument("--port", type=int, default=0)
    args = ap.parse_args()
    slaves = {}
    devices = []
    for spec in args.device:
        parts = spec.split(":")
        unit, layout = int(parts[0]), parts[1]
        base = int(parts[2]) if len(parts) > 2 else 40000
        r = Regs()
        if layout.startswith("sunspec") and layout != "sunspec_storage":
            sunspec(r, base, int(layout[len("sunspec"):]), args.power)
        else:
            VENDORS[layout](r, args.power)
        blocks = (block(r.holding, unit), block(r.input, unit))
        devices.append((r, layout, base, blocks))
        slaves[unit] = ModbusSlaveContext(hr=blocks[0], ir=blocks[1], zero_mode=True)
    threading.Thread(target=commands, args=(devices, args.power), daemon=True).start()
    context = ModbusServerContext(slaves=slaves, single=False)
    if args.rtu:
        print("READY 0", flush=True)
        StartSerialServer(context=context, port=args.rtu, framer=ModbusRtuFramer, baudrate=9600)
        return
    port = args.port
    if not port:
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
    print("READY %d" % port, flush=True)
    StartTcpServer(context=context, address=("127.0.0.1", port))


if __name__ == "__main__":
    sys.exit(main())
