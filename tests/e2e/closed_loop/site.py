#!/usr/bin/python3
"""The house in hemd's closed-loop test: an Eastron SDM630 grid meter (Debian's pymodbus) whose readings are
what the house, the car and the PV make together, per phase: grid = house + car - PV (import positive).

The test drives it on stdin, one command per line:
  pv W              PV production, fed evenly into the three phases
  house A1 A2 A3    the house's own load per phase, in A
  car A             what the car draws now on each of its three phases (the charger's limit, obeyed)
  freeze            the meter's registers keep their values (a gateway serving its last reading); unfreeze
  override A1 A2 A3 the meter's current registers read these (a broken scale factor) while its power stays
                    true; "override" alone ends it
  battery mute      the battery stops answering (its unit leaves the server); "battery unmute" brings it back
  battery lock      the battery holds its charge as if a client had locked it (a lock left behind)
Prints "READY <port>" when it serves, and "GRID <A1> <A2> <A3>" (the real currents) after every change.

With --battery sunspec|goodwe the house has a hybrid inverter's battery in self-consumption mode: it absorbs
export up to its power limit until full and covers import until empty, and obeys the discharge lock a client
writes: SunSpec model 124 at unit 2 (StorCtl_Mod bit 1 with OutWRte, reverting after InOutWRte_RvrtTms
without a renewing write), or GoodWe at unit 247 (EMS mode 2: no discharge; no timeout). It prints
"BATTERY <W> <SoC>" (W positive discharging) when its power or SoC changes, "LOCK on|off" when the lock
changes, and "REVERTED" when it dropped a lock by its own timeout.
"""
import argparse
import socket
import struct
import sys
import threading
import time

from pymodbus.datastore import ModbusSequentialDataBlock, ModbusServerContext, ModbusSlaveContext
from pymodbus.server import StartTcpServer

VOLTS = 230.0


def f32(x):
    return list(struct.unpack(">HH", struct.pack(">f", x)))


def i16(x):
    return struct.unpack(">H", struct.pack(">h", int(round(x))))[0]


def i32(x):
    return list(struct.unpack(">HH", struct.pack(">i", int(round(x)))))


class Registers(ModbusSequentialDataBlock):
    """Holding registers that tell the battery what a client wrote; the site's own updates use store()."""

    def __init__(self, size, on_write):
        super().__init__(0, [0] * size)
        self.on_write = on_write

    def store(self, address, values):
        super().setValues(address, values)

    def setValues(self, address, values):
        values = values if isinstance(values, list) else [values]
        super().setValues(address, values)
        self.on_write(address, values)


SUNSPEC = 40000
M124 = SUNSPEC + 70  # model 124's ID register; offsets count from here
M802 = SUNSPEC + 96


class Battery:
    def __init__(self, kind, soc, capacity_wh, max_w):
        self.kind, self.soc, self.capacity_wh, self.max_w = kind, soc, capacity_wh, max_w
        self.unit = 2 if kind == "sunspec" else 247
        self.power_w = 0.0
        self.written_at = time.monotonic()
        self.locked = False
        self.shown = None
        self.regs = Registers(50000 if kind == "sunspec" else 47600, self.written)
        if kind == "sunspec":
            common = [0x5375, 0x6E53, 1, 66] + [0] * 66
            m124 = [124, 24] + [0] * 24
            m124[2] = int(max_w)  # WChaMax
            m124[12] = 100  # OutWRte 100 % (InOutWRte_SF 0)
            m802 = [802, 62] + [0] * 62
            m802[56] = i16(-1)  # SoC_SF
            self.regs.store(SUNSPEC, common + m124 + m802 + [0xFFFF, 0])
        else:
            self.regs.store(47511, [1, 0])

    def lock(self):
        if self.kind == "sunspec":
            self.regs.store(M124 + 12, [0])
            self.regs.store(M124 + 5, [2])
        else:
            self.regs.store(47511, [2, 0])

    def written(self, address, values):
        self.written_at = time.monotonic()

    def discharge_limit_w(self):
        r = self.regs.values
        if self.kind == "sunspec":
            if r[M124 + 5] & 2:
                return max(0.0, struct.unpack(">h", struct.pack(">H", r[M124 + 12]))[0] / 100 * self.max_w)
            return self.max_w
        return 0.0 if r[47511] == 2 else self.max_w

    def step(self, demand_w, dt):
        r = self.regs.values
        if self.kind == "sunspec" and r[M124 + 5] & 2 and r[M124 + 15] > 0:
            if time.monotonic() - self.written_at > r[M124 + 15]:
                self.regs.store(M124 + 5, [0])
                self.regs.store(M124 + 12, [100])
                print("REVERTED", flush=True)
        limit = self.discharge_limit_w()
        locked = limit < self.max_w
        if locked != self.locked:
            self.locked = locked
            print("LOCK %s" % ("on" if locked else "off"), flush=True)
        if demand_w > 0:
            self.power_w = min(demand_w, limit) if self.soc > 0 else 0.0
        else:
            self.power_w = -min(-demand_w, self.max_w) if self.soc < 100 else 0.0
        self.soc = min(100.0, max(0.0, self.soc - self.power_w * dt / 3600 / self.capacity_wh * 100))
        if self.kind == "sunspec":
            self.regs.store(M124 + 8, [int(round(self.soc))])
            self.regs.store(M802 + 11, [int(round(self.soc * 10))])
            self.regs.store(M802 + 47, [i16(self.power_w)])
        else:
            self.regs.store(35182, i32(self.power_w))
            self.regs.store(37007, [int(round(self.soc))])
        shown = (round(self.power_w / 10) * 10, round(self.soc, 1))
        if shown != self.shown:
            self.shown = shown
            print("BATTERY %.0f %.1f" % shown, flush=True)


class House:
    def __init__(self, battery=None):
        self.battery = battery
        self.lock = threading.Lock()
        self.shown = None
        self.pv_w = 0.0
        self.house_a = [1.0, 1.0, 1.0]
        self.car_a = 0.0
        self.regs = ModbusSequentialDataBlock(0, [0] * 0x100)
        self.frozen = False
        self.override = None

    def demand_w(self):
        return sum(self.house_a[ph] + self.car_a for ph in range(3)) * VOLTS - self.pv_w

    def publish(self):
        battery_w = self.battery.power_w if self.battery else 0.0
        grid = [self.house_a[ph] + self.car_a - (self.pv_w + battery_w) / 3 / VOLTS for ph in range(3)]
        shown = tuple(round(a, 2) for a in grid)
        if shown != self.shown:
            self.shown = shown
            print("GRID %.2f %.2f %.2f" % shown, flush=True)
        if self.frozen:
            return
        shown = self.override or grid
        for ph in range(3):  # SDM630 input registers: voltage 0x00.., current 0x06.., total power 0x34
            self.regs.setValues(2 * ph, f32(VOLTS))
            self.regs.setValues(6 + 2 * ph, f32(shown[ph]))
        self.regs.setValues(0x34, f32(sum(grid) * VOLTS))
        self.regs.setValues(0x48, f32(1000.0))
        self.regs.setValues(0x4A, f32(500.0))


def physics(house, context):
    while True:
        time.sleep(0.2)
        with house.lock:
            house.battery.step(house.demand_w(), 0.2)
            house.publish()


def commands(house, context, battery_slave):
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        if words[0] == "battery" and house.battery:
            if words[1] == "mute":
                del context[house.battery.unit]
            elif words[1] == "lock":
                house.battery.lock()
            else:
                context[house.battery.unit] = battery_slave
            print("BATTERY %s" % words[1], flush=True)
            continue
        if words[0] == "pv":
            house.pv_w = float(words[1])
        elif words[0] == "house":
            house.house_a = [float(w) for w in words[1:4]]
        elif words[0] == "car":
            house.car_a = float(words[1])
        elif words[0] in ("freeze", "unfreeze"):
            house.frozen = words[0] == "freeze"
        elif words[0] == "override":
            house.override = [float(w) for w in words[1:4]] if len(words) >= 4 else None
        with house.lock:
            house.shown = None  # every change is printed, even to the same currents
            house.publish()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--battery", choices=["sunspec", "goodwe"])
    ap.add_argument("--soc", type=float, default=50)
    ap.add_argument("--capacity-wh", type=float, default=10000)
    ap.add_argument("--battery-w", type=float, default=5000)
    args = ap.parse_args()
    battery = Battery(args.battery, args.soc, args.capacity_wh, args.battery_w) if args.battery else None
    house = House(battery)
    house.publish()
    slaves = {1: ModbusSlaveContext(ir=house.regs, zero_mode=True)}
    battery_slave = None
    if battery:
        battery_slave = ModbusSlaveContext(hr=battery.regs, zero_mode=True)
        slaves[battery.unit] = battery_slave
    context = ModbusServerContext(slaves=slaves, single=False)
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    threading.Thread(target=commands, args=(house, context, battery_slave), daemon=True).start()
    if battery:
        threading.Thread(target=physics, args=(house, context), daemon=True).start()
    print("READY %d" % port, flush=True)
    StartTcpServer(context=context, address=("127.0.0.1", port))


if __name__ == "__main__":
    sys.exit(main())
