#!/usr/bin/python3
"""A local server answering like the PV forecast services hemd asks: Open-Meteo's /v1/forecast (irradiance on
the modules' plane, quarter-hourly, unixtime) and forecast.solar's /estimate (watts at instants, UTC with
time=utc). The day's shape is a clear sky scaled by a cloud factor, so an answer looks like a real one.

    forecast_server.py [--mode ok|500|429|garbage|slow|error] [--cloud 0.6] [--start UNIX]

Prints "READY <port>" once it listens. GET /_mode?mode=X changes the mode while running; GET /_requests
lists the requests so far (path and query), one per line.
"""
import argparse
import json
import math
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

state = {"mode": "ok", "requests": []}


def clear_sky_gti(t, tilt):
    """W/m² on a south-facing plane at Danish latitudes in December-ish: sun from 08:30 to 15:30 local."""
    local_h = ((t / 3600.0) + 1) % 24
    if local_h < 8.5 or local_h > 15.5:
        return 0.0
    return 450.0 * math.sin(math.pi * (local_h - 8.5) / 7.0) * (1 + tilt / 180.0)


def open_meteo(query, args):
    tilt = float(query.get("tilt", ["0"])[0])
    start = args.start - args.start % 86400
    times, gti = [], []
    for i in range(3 * 96):
        t = start + (i + 1) * 900
        times.append(t)
        gti.append(round(clear_sky_gti(t - 450, tilt) * args.cloud, 1))
    gti[5] = None  # the model leaves a value out now and then
    return {
        "latitude": float(query["latitude"][0]), "longitude": float(query["longitude"][0]),
        "generationtime_ms": 0.2, "utc_offset_seconds": 0, "timezone": "GMT", "timezone_abbreviation": "GMT",
        "elevation": 14.0,
        "minutely_15_units": {"time": "unixtime", "global_tilted_irradiance": "W/m²"},
        "minutely_15": {"time": times, "global_tilted_irradiance": gti},
    }


def forecast_solar(parts, args):
    kwp = float(parts[-1])
    start = args.start - args.start % 86400
    watts = {}
    for day in range(2):
        for h in range(8, 17):
            t = start + day * 86400 + h * 3600 - 3600  # local hours, as UTC
            w = kwp * 1000 * clear_sky_gti(t, 35) / 1000 * 0.85 * args.cloud
            stamp = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(t))
            watts[stamp] = int(round(w))
    return {"result": {"watts": watts, "watt_hours_period": {}, "watt_hours": {}, "watt_hours_day": {}},
            "message": {"code": 0, "type": "success", "text": "", "info": {"timezone": "UTC"},
                        "ratelimit": {"period": 3600, "limit": 12, "remaining": 11}}}


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def send(self, code, body, ctype="application/json"):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        url = urlparse(self.path)
        if url.path == "/_mode":
            state["mode"] = parse_qs(url.query).get("mode", ["ok"])[0]
            return self.send(200, "ok", "text/plain")
        if url.path == "/_requests":
            return self.send(200, "".join(r + "\n" for r in state["requests"]), "text/plain")
        state["requests"].append(self.path)
        mode = state["mode"]
        if mode == "500":
            return self.send(500, "Internal Server Error", "text/plain")
        if mode == "429":
            return self.send(429, json.dumps({"message": {"code": 429, "type": "error",
                                                          "text": "Rate limit for API calls reached."}}))
        if mode == "garbage":
            return self.send(200, "<html><body>Bad gateway</body></html>", "text/html")
        if mode == "slow":
            time.sleep(30)
            return self.send(200, "{}")
        query = parse_qs(url.query)
        if url.path == "/v1/forecast":
            if mode == "error":
                return self.send(400, json.dumps({"error": True, "reason": "Parameter 'tilt' must be 0-90"}))
            return self.send(200, json.dumps(open_meteo(query, self.server.args)))
        if url.path.startswith("/estimate/"):
            return self.send(200, json.dumps(forecast_solar(url.path.split("/"), self.server.args)))
        self.send(404, "{}")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--mode", default="ok")
    p.add_argument("--cloud", type=float, default=1.0)
    p.add_argument("--start", type=int, default=int(time.time()))
    args = p.parse_args()
    state["mode"] = args.mode
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.args = args
    print("READY %d" % server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
