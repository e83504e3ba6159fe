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
Prints "READY <port>" when it serves, and "GRID <A1> <A2> <A3>" (the real currents) after every change.
"""
import socket
import struct
import sys
import threading

from pymodbus.datastore import ModbusSequentialDataBlock, ModbusServerContext, ModbusSlaveContext
from pymodbus.server import StartTcpServer

VOLTS = 230.0


def f32(x):
    return list(struct.unpack(">HH", struct.pack(">f", x)))


class House:
    def __init__(self):
        self.pv_w = 0.0
        self.house_a = [1.0, 1.0, 1.0]
        self.car_a = 0.0
        self.regs = ModbusSequentialDataBlock(0, [0] * 0x100)
        self.frozen = False
        self.override = None

    def publish(self):
        grid = [self.house_a[ph] + self.car_a - self.pv_w / 3 / VOLTS for ph in range(3)]
        print("GRID %.2f %.2f %.2f" % tuple(grid), flush=True)
        if self.frozen:
            return
        shown = self.override or grid
        for ph in range(3):  # SDM630 input registers: voltage 0x00.., current 0x06.., total power 0x34
            self.regs.setValues(2 * ph, f32(VOLTS))
            self.regs.setValues(6 + 2 * ph, f32(shown[ph]))
        self.regs.setValues(0x34, f32(sum(grid) * VOLTS))
        self.regs.setValues(0x48, f32(1000.0))
        self.regs.setValues(0x4A, f32(500.0))


def commands(house):
    for line in sys.stdin:
        words = line.split()
        if not words:
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
        house.publish()


def main():
    house = House()
    house.publish()
    context = ModbusServerContext(slaves={1: ModbusSlaveContext(ir=house.regs, zero_mode=True)}, single=False)
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    threading.Thread(target=commands, args=(house,), daemon=True).start()
    print("READY %d" % port, flush=True)
    StartTcpServer(context=context, address=("127.0.0.1", port))


if __name__ == "__main__":
    sys.exit(main())
