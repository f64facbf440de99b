// node-media-server 4.x for ertmp.sh, on loopback only: RTMP on 127.0.0.1:PORT, no RTMPS, no
// HTTP/HTTPS/WebSocket, no web console, no authentication, its store in DATA-DIR.
//
//   node ertmp_nms.js NMS-PACKAGE-DIR PORT DATA-DIR
//
// The caller stops it by its PID (SIGTERM: the server flushes its store and exits).
"use strict";

const [pkgDir, port, dataDir] = process.argv.slice(2);
if (!pkgDir || !port || !dataDir) {
  console.error("usage: node ertmp_nms.js NMS-PACKAGE-DIR PORT DATA-DIR");
  process.exit(2);
}
const NodeMediaServer = require(pkgDir);
const version = require(pkgDir + "/package.json").version;

const config = {
  bind: "127.0.0.1",
  rtmp: { port: Number(port) },
  store: { path: dataDir },
  auth: { play: false, publish: false, secret: "unused-on-loopback" },
  webadmin: { enable: false },
  record: { auto: false, path: dataDir + "/record" },
  notify: { url: "" },
};
console.log("ertmp_nms: node-media-server " + version + " on 127.0.0.1:" + port);
const nms = new NodeMediaServer(config, dataDir + "/config.json");
nms.run();
