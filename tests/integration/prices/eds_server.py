#!/usr/bin/python3
"""A local stand-in for Energi Data Service (api.energidataservice.dk), answering exactly like it does.

GET /dataset/DayAheadPrices|Elspotprices?start=YYYY-MM-DD&end=YYYY-MM-DD&filter={"PriceArea":[..]}&sort=..&limit=N
GET /dataset/DatahubPricelist?filter={"GLN_Number":[..],"ChargeTypeCode":[..]}&sort=ValidFrom asc&limit=N

Spot prices are the real-format example from ../shared/data/prices for DK1 on 2025-11-04, and otherwise
generated: DKK/MWh = 400 + 25 * Danish local hour + 5 * quarter within the hour (hourly data: quarter 0), so a
test can compute any expected price by hand. TimeDK comes from the tz database (100 quarter-hours on the
autumn DST day, 92 in spring).

Test controls (not part of the real API):
  /_fault?mode=M[&count=N]  the next N dataset answers (default: all) are broken: http500, http429, timeout,
                            truncated, invalid, missing, gaps, duplicates, absurd, empty, total, dataset, null
  /_publish?until=DATE      spot prices exist only for Danish days before DATE (tomorrow not yet published)
  /_requests                the dataset requests seen so far, one per line

ENTSO-E: GET /api?securityToken=test-token&documentType=A44&in_Domain=EIC&out_Domain=EIC&periodStart=
yyyyMMddHHmm&periodEnd=yyyyMMddHHmm answers a Publication_MarketDocument in EUR/MWh (the same generated
prices / 7.46, two decimals, but flat from 00:00 to 04:00), one TimeSeries per Danish day, repeated prices left out (curve A03).
Prints "READY <port>" when it listens.
"""
import datetime as dt
import json
import os
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from zoneinfo import ZoneInfo

DK = ZoneInfo("Europe/Copenhagen")
UTC = dt.timezone.utc
HERE = os.path.dirname(os.path.abspath(__file__))
SWITCH = dt.date(2025, 10, 1)  # first delivery day of the 15-minute market

state = {"fault": None, "count": -1, "until": None, "requests": []}
lock = threading.Lock()


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S")


def local_midnight(day):
    return dt.datetime(day.year, day.month, day.day, tzinfo=DK).astimezone(UTC)


def spot_records(dataset, area, start, end):
    fixture = os.path.join(HERE, "fixtures", "DayAheadPrices_DK1_2025-11-04_example.json")
    records = []
    day = start
    while day < end:
        if state["until"] and day >= state["until"]:
            break
        if dataset == "DayAheadPrices" and area == "DK1" and day == dt.date(2025, 11, 4):
            with open(fixture) as f:
                records += json.load(f)["records"]
        else:
            step = dt.timedelta(minutes=15 if dataset == "DayAheadPrices" and day >= SWITCH else 60)
            t, stop = local_midnight(day), local_midnight(day + dt.timedelta(days=1))
            while t < stop:
                local = t.astimezone(DK)
                dkk = 400 + 25 * local.hour + 5 * (local.minute // 15)
                if dataset == "DayAheadPrices":
                    records.append({"TimeUTC": iso(t), "TimeDK": iso(local), "PriceArea": area,
                                    "DayAheadPriceEUR": round(dkk / 7.46, 6), "DayAheadPriceDKK": float(dkk)})
                else:
                    records.append({"HourUTC": iso(t), "HourDK": iso(local), "PriceArea": area,
                                    "SpotPriceDKK": float(dkk), "SpotPriceEUR": round(dkk / 7.46, 6)})
                t += step
        day += dt.timedelta(days=1)
    return records


def tariff(gln, code, note, start, end, low, high, peak):
    hours = [low] * 6 + [high] * 11 + [peak] * 4 + [high] * 3
    record = {"ChargeOwner": "test", "GLN_Number": gln, "ChargeType": "D03", "ChargeTypeCode": code, "Note": note,
              "Description": note, "ValidFrom": start + "T00:00:00",
              "ValidTo": end + "T00:00:00" if end else None, "VATClass": "D02"}
    for h in range(24):
        # DataHub leaves Price2..24 empty when the day is flat.
        record[f"Price{h + 1}"] = None if h > 0 and low == high == peak else hours[h]
    return record


def pricelist():
    n1, energinet = "5790001089030", "5790000432752"
    records = []
    # N1's time-of-use net tariff (winter values real, from 2024; the summer values are made up).
    for year in range(2024, 2028):
        records.append(tariff(n1, "CD", "Nettarif C", f"{year}-04-01", f"{year}-10-01", 0.110116, 0.165175, 0.429120))
        records.append(tariff(n1, "CD", "Nettarif C", f"{year}-10-01", f"{year + 1}-04-01", 0.110116, 0.330349, 0.991048))
    records.append(tariff(n1, "CD", "Nettarif C", "2024-01-01", "2024-04-01", 0.110116, 0.330349, 0.991048))
    records.append(tariff(n1, "CD R", "Rabat", "2025-01-01", None, -0.02, -0.02, -0.02))
    for start, end, tax, transmission, system in (("2025-01-01", "2026-01-01", 0.72, 0.061, 0.074),
                                                  ("2026-01-01", "2028-01-01", 0.008, 0.043, 0.072)):
        records.append(tariff(energinet, "EA-001", "Elafgift", start, end, tax, tax, tax))
        records.append(tariff(energinet, "40000", "Transmissions nettarif", start, end, transmission, transmission,
                              transmission))
        records.append(tariff(energinet, "41000", "Systemtarif", start, end, system, system, system))
    return records


def matches(record, filters):
    return all(record.get(k) in v for k, v in filters.items())


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, status, body, content_type="application/json"):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def entsoe(self, q):
        if q.get("securityToken") != "test-token":
            return self.send(401, ACK.format("Unauthorized"), "text/xml")
        if q.get("documentType") != "A44" or q.get("in_Domain") != q.get("out_Domain"):
            return self.send(400, ACK.format("Invalid query attributes or parameters"), "text/xml")
        parse = lambda v: dt.datetime.strptime(v, "%Y%m%d%H%M").replace(tzinfo=UTC)
        doc = entsoe_document(q["in_Domain"], parse(q["periodStart"]), parse(q["periodEnd"]))
        fault = state["fault"]
        if doc is None:
            return self.send(200, ACK.format("No matching data found for Data item Day-ahead Prices"), "text/xml")
        if fault == "http500":
            return self.send(500, "<html>error</html>", "text/html")
        if fault == "truncated":
            return self.send(200, doc[: len(doc) // 2], "text/xml")
        if fault == "absurd":
            doc = doc.replace("<price.amount>", "<price.amount>9", 1)
        self.send(200, doc, "text/xml")

    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        q = {k: v[0] for k, v in urllib.parse.parse_qs(url.query).items()}
        if url.path == "/_fault":
            with lock:
                state["fault"] = q.get("mode") or None
                state["count"] = int(q.get("count", -1))
            return self.send(200, "ok\n", "text/plain")
        if url.path == "/_publish":
            state["until"] = dt.date.fromisoformat(q["until"]) if q.get("until") else None
            return self.send(200, "ok\n", "text/plain")
        if url.path == "/_requests":
            with lock:
                return self.send(200, "".join(r + "\n" for r in state["requests"]), "text/plain")
        if url.path == "/api":
            with lock:
                state["requests"].append(self.path)
            return self.entsoe(q)
        if not url.path.startswith("/dataset/"):
            return self.send(404, json.dumps({"error": "Not Found"}))
        dataset = url.path[len("/dataset/"):]
        with lock:
            state["requests"].append(self.path)
            fault = state["fault"]
            if fault and state["count"] > 0:
                state["count"] -= 1
                if state["count"] == 0:
                    state["fault"] = None
        try:
            filters = json.loads(q.get("filter", "{}"))
        except ValueError:
            return self.send(400, json.dumps({"error": "filter is not JSON"}))
        if dataset in ("DayAheadPrices", "Elspotprices"):
            area = filters.get("PriceArea", ["DK1"])[0]
            start, end = dt.date.fromisoformat(q["start"][:10]), dt.date.fromisoformat(q["end"][:10])
            records = spot_records(dataset, area, start, end)
        elif dataset == "DatahubPricelist":
            records = sorted((r for r in pricelist() if matches(r, filters)), key=lambda r: r["ValidFrom"])
        else:
            return self.send(404, json.dumps({"error": f"dataset {dataset} not found"}))
        limit = int(q.get("limit", 100))
        total = len(records)
        records = records[:limit]
        answer = {"total": total, "filters": json.dumps(filters, separators=(",", ":")), "limit": limit,
                  "dataset": dataset, "records": records}
        price = "DayAheadPriceDKK" if dataset == "DayAheadPrices" else "SpotPriceDKK"
        middle = len(records) // 2
        if fault == "http500":
            return self.send(500, json.dumps({"error": "Internal Server Error"}))
        if fault == "http429":
            return self.send(429, json.dumps({"error": "Too Many Requests"}))
        if fault == "timeout":
            time.sleep(float(q.get("delay", 5)))
        if fault == "invalid":
            return self.send(200, "<html><body>Service Unavailable</body></html>", "text/html")
        if fault == "missing" and records:
            records[middle].pop(price if dataset != "DatahubPricelist" else "Price1", None)
        if fault == "gaps" and len(records) > 4:
            del records[middle:middle + 2]
            answer["total"] = len(records)
        if fault == "duplicates" and records:
            records.insert(middle, dict(records[middle]))
            answer["total"] = len(records)
        if fault == "absurd" and records:
            records[middle][price] = 999999.0
        if fault == "null" and records:
            records[middle][price] = None
        if fault == "empty":
            answer["records"], answer["total"] = [], 0
        if fault == "total":
            answer["total"] = total + 10
        if fault == "dataset":
            answer["dataset"] = "CO2Emis"
        body = json.dumps(answer, indent=1)
        if fault == "truncated":
            return self.send(200, body[: len(body) // 2])
        self.send(200, body)


ACK = """<?xml version="1.0" encoding="UTF-8"?>
<Acknowledgement_MarketDocument xmlns="urn:iec62325.351:tc57wg16:451-1:acknowledgementdocument:7:0">
  <mRID>ack</mRID>
  <Reason><code>999</code><text>{}</text></Reason>
</Acknowledgement_MarketDocument>"""


def entsoe_document(eic, start, end):
    """Day-ahead prices as ENTSO-E publishes them: per Danish day, EUR/MWh, A03 curve."""
    series = []
    day = start.astimezone(DK).date()
    while local_midnight(day) < end:
        if state["until"] and day >= state["until"]:
            break
        lo, hi = local_midnight(day), local_midnight(day + dt.timedelta(days=1))
        minutes = 15 if day >= SWITCH else 60
        points, t, position, last = [], lo, 1, None
        while t < hi:
            local = t.astimezone(DK)
            # Flat from 00:00 to 04:00 so that the A03 curve leaves positions out.
            dkk = 400 if local.hour < 4 else 400 + 25 * local.hour + 5 * (local.minute // 15 if minutes == 15 else 0)
            eur = round(dkk / 7.46, 2)
            if eur != last:
                points.append(f"<Point><position>{position}</position><price.amount>{eur}</price.amount></Point>")
            last, position, t = eur, position + 1, t + dt.timedelta(minutes=minutes)
        z = "%Y-%m-%dT%H:%MZ"
        series.append(f"""<TimeSeries><mRID>{len(series) + 1}</mRID><businessType>A62</businessType>
<in_Domain.mRID codingScheme="A01">{eic}</in_Domain.mRID><out_Domain.mRID codingScheme="A01">{eic}</out_Domain.mRID>
<currency_Unit.name>EUR</currency_Unit.name><price_Measure_Unit.name>MWH</price_Measure_Unit.name>
<curveType>A03</curveType><Period><timeInterval><start>{lo.strftime(z)}</start><end>{hi.strftime(z)}</end></timeInterval>
<resolution>PT{minutes}M</resolution>{"".join(points)}</Period></TimeSeries>""")
        day += dt.timedelta(days=1)
    if not series:
        return None
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<Publication_MarketDocument '
            'xmlns="urn:iec62325.351:tc57wg16:451-3:publicationdocument:7:3"><mRID>test</mRID><type>A44</type>'
            + "".join(series) + "</Publication_MarketDocument>")


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(f"READY {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
