"""Private: the self-contained HTML page of the district profiles (no external request)."""

from __future__ import annotations

import html
import json

from quartier.output._profile_text import TEXT

CSS = """
*{box-sizing:border-box}
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;color:#222;
margin:0;background:#fafafa}
header.bar{position:sticky;top:0;z-index:5;background:#fff;border-bottom:1px solid #ddd;
padding:6px 16px;display:flex;gap:16px;align-items:center;flex-wrap:wrap}
header.bar h1{font-size:18px;margin:0}
#q-search input{width:260px;padding:4px 6px}
#q-found{color:#b30000}
main{max-width:980px;margin:0 auto;padding:0 16px}
section{background:#fff;border:1px solid #e3e3e3;margin:16px 0;padding:12px 16px;
scroll-margin-top:60px}
section h2{margin:0 0 4px;font-size:20px}
section h2 small{color:#666;font-weight:normal;font-size:14px}
.meta{color:#555;margin:0 0 8px}
.row{display:flex;gap:16px;align-items:flex-start;flex-wrap:wrap}
.locator{width:260px;height:auto;border:1px solid #eee}
.chart{width:560px;max-width:100%;height:auto}
.chart text{font-size:11px}.chart .bl{font-size:11px}.chart .bv{fill:#333}
.years{display:flex;flex-wrap:wrap;gap:12px}
.years .chart{width:270px}
.overview-map{width:100%;max-width:900px;height:auto}
.overview-map text{font-size:12px}
.legend-key{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px;
vertical-align:middle}
table{border-collapse:collapse;width:100%;margin:8px 0}
th,td{padding:3px 6px;border-bottom:1px solid #eee;text-align:right;white-space:nowrap}
th:first-child,td:first-child{text-align:left;white-space:normal}
table.all td:nth-child(2),table.all th:nth-child(2){text-align:left}
thead th{background:#f3f3f3;position:sticky;top:0}
table.all th{cursor:pointer}
table.all th[aria-sort=ascending]::after{content:" ▲"}
table.all th[aria-sort=descending]::after{content:" ▼"}
.sup{color:#777;font-style:italic}
.notes{color:#555;font-size:12px}
.hit{outline:3px solid #d7301f}
.wrap{max-height:520px;overflow:auto}
button.print-one{margin-top:6px}
@page{size:A4;margin:12mm}
@media print{
body{background:#fff;font-size:9.5pt}
header.bar,button.print-one,.nav{display:none}
main{max-width:none;padding:0}
section{border:0;margin:0;padding:0}
section.district{break-before:page;break-inside:avoid}
.overview .wrap{max-height:none;overflow:visible}
.locator{width:62mm}.chart{width:118mm}.years .chart{width:58mm}
th,td{padding:1.5pt 4pt}
body.print-one main>section:not(.print-target){display:none}
body.print-one section.print-target{break-before:auto}
}
"""

JS = r"""
(function(){
  var sections = Array.prototype.slice.call(document.querySelectorAll('section.district'));
  function norm(s){return String(s).toLowerCase().normalize('NFKD').replace(/[\u0300-\u036f]/g,'').trim();}
  var index = sections.map(function(s){return [s, norm(s.dataset.key), norm(s.dataset.name)];});
  function find(q){
    q = norm(q); if(!q) return null;
    var tests = [function(e){return e[1]===q;}, function(e){return e[2]===q;},
                 function(e){return e[2].indexOf(q)===0;}, function(e){return e[2].indexOf(q)>=0;},
                 function(e){return e[1].indexOf(q)===0;}];
    for (var t=0;t<tests.length;t++){
      for (var i=0;i<index.length;i++){ if(tests[t](index[i])) return index[i][0]; }
    }
    return null;
  }
  window.quartierFind = function(q){
    var s = find(q), msg = document.getElementById('q-found');
    document.querySelectorAll('section.hit').forEach(function(e){e.classList.remove('hit');});
    if(!s){ msg.textContent = msg.dataset.none; return null; }
    msg.textContent = '';
    s.classList.add('hit');
    location.hash = s.id;
    s.scrollIntoView();
    return s.dataset.key;
  };
  document.getElementById('q-search').addEventListener('submit', function(ev){
    ev.preventDefault(); window.quartierFind(document.getElementById('q-find').value);
  });
  document.getElementById('q-find').addEventListener('change', function(ev){
    window.quartierFind(ev.target.value);
  });
  // printing one district: the other sections leave the document until the print is done,
  // so the browser lays out one page, not the whole report
  var parked = null;
  function restore(){
    if(parked){
      var main = document.querySelector('main');
      parked.forEach(function(e){main.appendChild(e);});
      parked = null;
    }
    document.body.classList.remove('print-one');
    sections.forEach(function(e){e.classList.remove('print-target');});
  }
  window.quartierPrintOnly = function(key){
    var s = document.getElementById('d-' + key); if(!s) return false;
    restore();
    var main = document.querySelector('main');
    parked = Array.prototype.slice.call(main.children);
    parked.forEach(function(e){ if(e !== s) main.removeChild(e); });
    document.body.classList.add('print-one');
    s.classList.add('print-target');
    return true;
  };
  window.quartierPrintAll = restore;
  window.addEventListener('afterprint', restore);
  document.querySelectorAll('button.print-one').forEach(function(b){
    b.addEventListener('click', function(){
      if(window.quartierPrintOnly(b.dataset.key)) window.print();
    });
  });
  var table = document.querySelector('table.all');
  if(table){
    table.querySelectorAll('thead th').forEach(function(th, col){
      th.addEventListener('click', function(){
        var asc = th.getAttribute('aria-sort') !== 'ascending';
        table.querySelectorAll('thead th').forEach(function(h){h.removeAttribute('aria-sort');});
        th.setAttribute('aria-sort', asc ? 'ascending' : 'descending');
        var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
        var numeric = th.dataset.type === 'num';
        rows.sort(function(a, b){
          var x = a.cells[col].dataset.v, y = b.cells[col].dataset.v;
          if(numeric){
            x = x === '' ? NaN : +x; y = y === '' ? NaN : +y;
            if(isNaN(x) && isNaN(y)) return 0; if(isNaN(x)) return 1; if(isNaN(y)) return -1;
            return asc ? x - y : y - x;
          }
          return asc ? String(x).localeCompare(y) : String(y).localeCompare(x);
        });
        rows.forEach(function(r){body.appendChild(r);});
      });
    });
  }
})();
"""


def esc(text) -> str:
    return html.escape("" if text is None else str(text), quote=True)


def page(*, title: str, lang: str, city_symbol: str, overview: str, sections: list[str],
         names: list[tuple[str, str]]) -> str:
    t = TEXT[lang]
    options = "".join(f'<option value="{esc(n)}">{esc(k)}</option>' for k, n in names)
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{esc(title)}</title><style>{CSS}</style></head><body>'
        f'<header class="bar"><h1>{esc(title)}</h1>'
        f'<form id="q-search" role="search"><label>{esc(t["search"])}: '
        f'<input id="q-find" list="q-names" placeholder="{esc(t["search_hint"])}" '
        f'autocomplete="off"></label> <button type="submit">{esc(t["go"])}</button> '
        f'<span id="q-found" data-none="{esc(t["not_found"])}"></span></form>'
        f'<datalist id="q-names">{options}</datalist></header>'
        f'{city_symbol}<main>{overview}{"".join(sections)}</main>'
        f'<script>{JS}</script></body></html>')


def overview(*, lang: str, map_svg: str, map_title: str, head: list[tuple[str, str]],
             rows: list[list[tuple[str, str]]], notes: list[str]) -> str:
    """``head``: (label, type) per column; ``rows``: (text, sort value) per cell."""
    t = TEXT[lang]
    ths = "".join(f'<th data-type="{typ}" scope="col">{esc(label)}</th>' for label, typ in head)
    body = []
    for cells in rows:
        key = cells[0][0]
        tds = [f'<td data-v="{esc(cells[0][1])}"><a href="#d-{esc(key)}">{esc(key)}</a></td>']
        tds += [f'<td data-v="{esc(v)}">{esc(text)}</td>' for text, v in cells[1:]]
        body.append(f"<tr>{''.join(tds)}</tr>")
    return (f'<section class="overview" id="overview"><h2>{esc(t["overview"])}</h2>'
            f'<p class="meta">{esc(t["map_of"])}: {esc(map_title)}</p>{map_svg}'
            f'<p class="notes">{esc(t["sort"])}</p>'
            f'<div class="wrap"><table class="all"><thead><tr>{ths}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table></div>'
            + "".join(f'<p class="notes">{esc(n)}</p>' for n in notes) + "</section>")


def district(*, lang: str, key: str, name: str, meta: str, locator: str, chart: str,
             head: list[str], rows: list[list[tuple[str, bool]]], years: list[str],
             notes: list[str]) -> str:
    t = TEXT[lang]
    ths = "".join(f'<th scope="col">{esc(h)}</th>' for h in head)
    trs = []
    for cells in rows:
        tds = [f'<th scope="row">{esc(cells[0][0])}</th>']
        tds += [f'<td class="sup">{esc(text)}</td>' if sup else f"<td>{esc(text)}</td>"
                for text, sup in cells[1:]]
        trs.append(f"<tr>{''.join(tds)}</tr>")
    return (f'<section class="district" id="d-{esc(key)}" data-key="{esc(key)}" '
            f'data-name="{esc(name)}"><h2>{esc(name)} <small>{esc(key)}</small></h2>'
            f'<p class="meta">{esc(meta)}</p>'
            f'<div class="row">{locator}{chart}</div>'
            f'<table class="ind"><thead><tr>{ths}</tr></thead><tbody>{"".join(trs)}</tbody>'
            f'</table><div class="years">{"".join(years)}</div>'
            + "".join(f'<p class="notes">{esc(n)}</p>' for n in notes)
            + f'<p class="nav"><a href="#overview">{esc(t["back"])}</a> '
            f'<button class="print-one" type="button" data-key="{esc(key)}">'
            f'{esc(t["print"])}</button></p></section>')


def names_json(names) -> str:
    return json.dumps(names, ensure_ascii=False)
