/** The device panel's stylesheet: a dark device "screen" beside light control cards. */
export const PANEL_CSS = `
:root { --bg:#eef1f5; --card:#fff; --ink:#1d2330; --mute:#6b7385; --line:#dde2ea; --accent:#2f6fed;
  --ok:#1f9d55; --bad:#d64545; --warn:#c7831a; --screen:#0d1117; --glow:#8be9c8; }
* { box-sizing:border-box; }
body { margin:0; font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif; color:var(--ink); background:var(--bg); }
header { display:flex; align-items:center; gap:14px; padding:12px 22px; background:#161b26; color:#e8ecf3; }
header h1 { font-size:17px; margin:0; letter-spacing:.3px; font-weight:650; }
header .sub { color:#9aa4b8; font-size:12.5px; }
#conn { width:9px; height:9px; border-radius:50%; background:var(--bad); box-shadow:0 0 6px var(--bad); }
#conn.on { background:#3ddc97; box-shadow:0 0 6px #3ddc97; }
header .spacer, .row .spacer { flex:1; }
main { display:grid; grid-template-columns:380px 1fr; gap:18px; padding:18px 22px; max-width:1400px; }
.card { background:var(--card); border:1px solid var(--line); border-radius:12px; padding:14px 16px; margin-bottom:18px; }
.card h2 { font-size:12px; text-transform:uppercase; letter-spacing:.8px; color:var(--mute); margin:0 0 10px; font-weight:650; }
.device { background:linear-gradient(160deg,#2a3142,#1a1f2b); border-radius:22px; padding:18px; box-shadow:0 10px 30px rgba(20,30,50,.25); margin-bottom:18px; }
.device .brand { color:#8a93a6; font-size:11px; letter-spacing:2px; text-transform:uppercase; margin:0 4px 10px; display:flex; justify-content:space-between; }
.screen { background:var(--screen); border-radius:12px; min-height:230px; padding:18px; color:#dfe6ee; border:1px solid #000; box-shadow:inset 0 0 24px rgba(0,0,0,.8); display:flex; flex-direction:column; }
.screen .idle { margin:auto; text-align:center; color:#7f8aa0; }
.screen .idle .glyph { font-size:40px; color:var(--glow); text-shadow:0 0 12px rgba(139,233,200,.5); }
.screen .op { font-size:11px; letter-spacing:1.5px; text-transform:uppercase; color:var(--glow); }
.screen .msg { font-size:18px; font-weight:600; margin:6px 0 10px; color:#fff; word-break:break-word; }
.screen dl { display:grid; grid-template-columns:auto 1fr; gap:3px 12px; margin:0 0 10px; font-size:13px; }
.screen dt { color:#8e98ab; } .screen dd { margin:0; color:#e8edf4; word-break:break-all; font-family:ui-monospace,Menlo,monospace; font-size:12px; }
.screen .more { color:#8e98ab; font-size:12px; }
.bar { height:4px; border-radius:2px; background:#263040; overflow:hidden; margin-top:auto; }
.bar > div { height:100%; background:var(--glow); transition:width .25s linear; }
.buttons { display:flex; gap:12px; margin-top:14px; }
button { font:inherit; border:1px solid var(--line); background:#f6f8fb; color:var(--ink); border-radius:8px; padding:6px 12px; cursor:pointer; }
button:hover { border-color:#b8c2d3; }
button.approve { flex:1; background:var(--ok); border-color:var(--ok); color:#fff; font-weight:650; padding:10px; font-size:15px; }
button.deny { flex:1; background:#fff0f0; border-color:#f0b4b4; color:var(--bad); font-weight:650; padding:10px; font-size:15px; }
button:disabled { opacity:.4; cursor:default; }
button.small { padding:2px 8px; font-size:12px; }
.seg { display:inline-flex; border:1px solid var(--line); border-radius:8px; overflow:hidden; }
.seg button { border:0; border-radius:0; border-right:1px solid var(--line); background:#fff; padding:5px 11px; }
.seg button:last-child { border-right:0; }
.seg button.on { background:var(--accent); color:#fff; }
.row { display:flex; align-items:center; gap:10px; flex-wrap:wrap; margin:6px 0; }
.row label { color:var(--mute); min-width:82px; }
table { width:100%; border-collapse:collapse; font-size:13px; }
th { text-align:left; color:var(--mute); font-weight:600; font-size:12px; border-bottom:1px solid var(--line); padding:6px 8px; }
td { border-bottom:1px solid #eef1f5; padding:6px 8px; vertical-align:top; }
td.mono, .mono { font-family:ui-monospace,Menlo,monospace; font-size:12px; }
.empty { color:var(--mute); font-style:italic; padding:6px 0; }
.pill { display:inline-block; padding:1px 7px; border-radius:10px; font-size:11px; font-weight:650; background:#eef2fb; color:#3552a0; }
.trace-tools { display:flex; gap:8px; align-items:center; flex-wrap:wrap; margin-bottom:8px; }
#pin-input { padding:5px 8px; border:1px solid var(--line); border-radius:8px; font:inherit; }
.trace-tools input[type=search] { flex:1; min-width:160px; padding:6px 9px; border:1px solid var(--line); border-radius:8px; font:inherit; }
#trace { max-height:520px; overflow:auto; border:1px solid var(--line); border-radius:8px; background:#fbfcfe; }
.t { display:grid; grid-template-columns:88px 62px 16px 250px 1fr; gap:8px; padding:5px 10px; border-bottom:1px solid #edf0f5; align-items:baseline; }
.t .time { color:var(--mute); font-family:ui-monospace,Menlo,monospace; font-size:11.5px; }
.t .layer { font-size:10.5px; font-weight:700; text-transform:uppercase; border-radius:4px; padding:1px 5px; text-align:center; }
.layer.ctaphid { background:#eee8fb; color:#6040b0; } .layer.ctap2 { background:#e4effd; color:#2458b8; }
.layer.ctap1 { background:#fdf1e1; color:#a3620d; } .layer.apdu { background:#e3f6ec; color:#16794a; }
.t .dir { color:var(--mute); } .t .name { font-weight:600; font-size:13px; word-break:break-all; }
.t .status { font-family:ui-monospace,Menlo,monospace; font-size:11.5px; }
.addr { margin:0 0 9px; } .addr .path { color:var(--mute); font-size:11.5px; font-family:ui-monospace,Menlo,monospace; }
.status.ok { color:var(--ok); } .status.err { color:var(--bad); }
.t .detail { font-family:ui-monospace,Menlo,monospace; font-size:11.5px; color:#3b4456; word-break:break-all; white-space:pre-wrap; }
.faults { font-family:ui-monospace,Menlo,monospace; font-size:12px; color:var(--warn); }
@media (max-width: 980px) { main { grid-template-columns:1fr; } }
`;
