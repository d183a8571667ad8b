/** The console's one stylesheet: system fonts, a sidebar that folds above the content on a phone. */
export const CONSOLE_CSS = `
:root{--fg:#1d2433;--muted:#5b6473;--line:#d8dde6;--bg:#f5f7fa;--card:#fff;--accent:#0b5cad;--bad:#b3261e;--ok:#1b6e3a;--warn:#8a5300;font:15px/1.45 system-ui,-apple-system,"Segoe UI","PingFang SC","Microsoft YaHei",sans-serif;color:var(--fg);background:var(--bg)}
*{box-sizing:border-box}body{margin:0}a{color:var(--accent)}
.skip{position:absolute;left:-999px}.skip:focus{left:8px;top:8px;background:#fff;padding:4px}
header.top{display:flex;flex-wrap:wrap;gap:8px 16px;align-items:center;padding:8px 16px;background:#10233f;color:#fff}
header.top a,header.top button.link{color:#fff}header.top .brand{font-weight:700;margin-right:auto;color:#fff;text-decoration:none}
header.top form,.inline-form{display:inline;margin:0}
.shell{display:flex;min-height:calc(100vh - 48px)}
nav.side{width:200px;flex:none;background:#fff;border-right:1px solid var(--line);padding:12px 0}
nav.side a{display:block;padding:8px 16px;text-decoration:none;color:var(--fg)}nav.side a[aria-current=page]{background:#e6effa;border-left:3px solid var(--accent);font-weight:600}
main{flex:1;min-width:0;padding:16px 24px}
h1{font-size:1.4rem;margin:0 0 12px}h2{font-size:1.1rem;margin:20px 0 8px}.card>h2:first-child{margin-top:4px}
.card{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:12px 16px;margin-bottom:16px}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(220px,1fr));gap:12px}
.stat{font-size:1.8rem;font-weight:700}
table{border-collapse:collapse;width:100%;background:#fff}th,td{text-align:left;padding:6px 8px;border-bottom:1px solid var(--line);vertical-align:top}th{background:#eef1f5;font-weight:600}
.scroll{overflow-x:auto}
.break{word-break:break-all}
.wide{min-width:24em;overflow-wrap:anywhere}
td.row:empty{display:table-cell}
label{display:block;font-weight:600;margin:8px 0 2px}
input,select,textarea{font:inherit;padding:5px 8px;border:1px solid #8c95a3;border-radius:4px;max-width:100%}
input[type=checkbox],input[type=radio]{width:auto}
label.inline{display:inline-flex;gap:4px;font-weight:400;margin-right:12px}
button,.button{font:inherit;padding:5px 12px;border-radius:4px;border:1px solid var(--accent);background:var(--accent);color:#fff;cursor:pointer;text-decoration:none;display:inline-block}
button.secondary,.button.secondary{background:#fff;color:var(--accent)}button.danger{background:var(--bad);border-color:var(--bad)}
button.link{background:none;border:none;padding:0;text-decoration:underline;color:var(--accent)}
.row{display:flex;flex-wrap:wrap;gap:8px;align-items:flex-end}.row>*{margin:0}
.error{color:var(--bad)}.field-error{color:var(--bad);font-size:.9rem;margin:2px 0}
[aria-invalid=true]{border-color:var(--bad);outline:1px solid var(--bad)}
.flash{padding:8px 12px;border-radius:4px;background:#e3f3e8;border:1px solid #9fd3b0;margin-bottom:12px}
.flash.bad{background:#fbe9e7;border-color:#f0b3aa}
.badge{display:inline-block;padding:0 6px;border-radius:10px;font-size:.85rem;border:1px solid var(--line);background:#fff}
.s-Succeeded,.s-online,.s-verified{color:var(--ok)}.s-Failed,.s-PartiallyFailed,.s-offline{color:var(--bad)}.s-Waiting,.s-Paused,.s-Cancelling{color:var(--warn)}
.tabs{display:flex;gap:4px;border-bottom:1px solid var(--line);margin-bottom:12px;flex-wrap:wrap}.tabs a{padding:6px 12px;text-decoration:none;border:1px solid transparent;border-bottom:none}.tabs a[aria-current=page]{border-color:var(--line);background:#fff;font-weight:600}
pre{white-space:pre-wrap;word-break:break-word;background:#0f172a;color:#e2e8f0;padding:8px;border-radius:4px;max-height:320px;overflow:auto;font-size:.85rem}
code.cmd{display:block;background:#0f172a;color:#e2e8f0;padding:8px;border-radius:4px;word-break:break-all}
.flow svg{min-width:600px;max-width:100%;height:auto}
ul.plain{list-style:none;padding:0;margin:0}ul.plain li{padding:2px 0}
.muted{color:var(--muted);overflow-wrap:anywhere}
fieldset{border:1px solid var(--line);border-radius:4px;margin:12px 0;padding:4px 12px 8px}legend{font-weight:600}
.report-form .when-weekly,.report-form .when-monthly,.report-form .when-custom{display:none}
.report-form:has(#f-type option[value=weekly]:checked) .when-weekly,.report-form:has(#f-type option[value=monthly]:checked) .when-monthly,.report-form:has(#f-type option[value=custom]:checked) .when-custom,.report-form .when-weekly:has([aria-invalid]),.report-form .when-monthly:has([aria-invalid]),.report-form .when-custom:has([aria-invalid]){display:flex}
@media (max-width:700px){table.stack thead{position:absolute;left:-9999px}table.stack caption{display:block;text-align:left}table.stack,table.stack tbody,table.stack tr,table.stack td{display:block;width:100%}table.stack tr{border:1px solid var(--line);border-radius:6px;margin-bottom:8px;background:#fff}table.stack td{border-bottom:none;padding:3px 8px;overflow-wrap:anywhere}table.stack td[data-label]::before{content:attr(data-label);display:block;font-size:.8rem;color:var(--muted);font-weight:600}.wide{min-width:0}.flow svg{min-width:0}.shell{display:block}nav.side{width:auto;display:flex;flex-wrap:wrap;border-right:none;border-bottom:1px solid var(--line);padding:4px}nav.side a{padding:6px 10px}main{padding:12px}}
`;
