// Shuanglian chain map: draws a cluster's links (upstream | midstream | downstream columns) coloured
// by gap status with the vendored ECharts, opens a link's fillers on click, and exports SVG and PNG.
// The gap table on the page is server-rendered and works without this script.
(function () {
  'use strict';
  var el = document.getElementById('chain-graph');
  if (!el || !window.echarts) return;
  var cluster = el.getAttribute('data-cluster');
  var region = el.getAttribute('data-region') || '';
  var zh = el.getAttribute('data-lang') !== 'en';
  var COLORS = { strong: '#2f9e6b', weak: '#d99a00', missing: '#d64545' };
  var STAGES = ['upstream', 'midstream', 'downstream'];
  var STAGE_LABEL = zh ? { upstream: '上游', midstream: '中游', downstream: '下游' }
    : { upstream: 'Upstream', midstream: 'Midstream', downstream: 'Downstream' };
  var chart = null, option = null, size = { w: 0, h: 0 };

  function t(zhText, enText) { return zh ? zhText : enText; }

  // A readable layered graph: stages left to right (top to bottom on a phone); within a stage the
  // links wrap into columns of at most MAX_ROWS, a link and its sub-links kept together in one
  // column; node and column sizes follow the width of the page, so nothing is cut or overlaps.
  function layout(v) {
    var nodes = v.gaps.nodes;
    var byCode = {};
    nodes.forEach(function (n) { byCode[n.node] = n; });
    var width = Math.max(320, el.clientWidth || 1000);
    var narrow = width < 700;
    var MAX_ROWS = narrow ? 1000 : 8;
    // Each stage's groups: a top-level link followed by its sub-links.
    var groups = { upstream: [], midstream: [], downstream: [] };
    function collect(n, depth, into) {
      into.push({ n: n, depth: depth });
      nodes.forEach(function (c) { if (c.parent === n.node) collect(c, depth + 1, into); });
    }
    nodes.forEach(function (n) {
      if (!n.parent || !byCode[n.parent]) {
        var g = [];
        collect(n, 0, g);
        groups[n.stage].push(g);
      }
    });
    // Columns per stage, filled group by group.
    var bands = STAGES.map(function (s) {
      var cols = [[]];
      groups[s].forEach(function (g) {
        var cur = cols[cols.length - 1];
        if (cur.length > 0 && cur.length + g.length > MAX_ROWS) { cols.push([]); cur = cols[cols.length - 1]; }
        // A group longer than a column continues in the next one.
        g.forEach(function (item) {
          if (cur.length >= MAX_ROWS) { cols.push([]); cur = cols[cols.length - 1]; }
          cur.push(item);
        });
      });
      return { stage: s, cols: cols.filter(function (c) { return c.length > 0; }) };
    }).filter(function (b) { return b.cols.length > 0; });
    var totalCols = narrow ? 1 : bands.reduce(function (k, b) { return k + b.cols.length; }, 0);
    var GAP = narrow ? 0 : 24;
    var COL_W = Math.max(170, Math.floor((width - 24 - GAP * (bands.length - 1)) / Math.max(1, totalCols)));
    var NODE_W = Math.min(narrow ? width - 40 : 300, COL_W - 34);
    var NODE_H = 40, ROW_H = 52, HEAD = 44;
    var font = NODE_W >= 200 ? 12 : 11;
    var data = [];
    var x0 = 12, y0 = 0, maxRows = 0;
    bands.forEach(function (band) {
      var bandX = x0, bandW = band.cols.length * COL_W;
      if (narrow) { bandX = 12; bandW = COL_W; }
      // The stage heading: a label-only node, so it moves and scales with the graph.
      data.push({
        id: '@' + band.stage, name: STAGE_LABEL[band.stage], x: bandX + bandW / 2, y: y0 + HEAD / 2,
        symbolSize: 1, itemStyle: { color: 'rgba(0,0,0,0)' }, tooltip: { show: false },
        label: { show: true, color: '#1f2933', fontSize: 15, fontWeight: 'bold', formatter: STAGE_LABEL[band.stage] }
      });
      var rowsHere = 0;
      band.cols.forEach(function (col, ci) {
        col.forEach(function (item, row) {
          var n = item.n;
          var c = n.counts;
          var indent = Math.min(item.depth, 2) * 14;
          var cx = narrow ? bandX + NODE_W / 2 + indent : bandX + ci * COL_W + COL_W / 2 + indent / 2;
          var cy = narrow ? y0 + HEAD + (rowsHere + row) * ROW_H + NODE_H / 2 : y0 + HEAD + row * ROW_H + NODE_H / 2;
          var name = zh ? n.zh : n.en;
          data.push({
            id: n.node,
            name: name,
            x: cx,
            y: cy,
            symbol: 'roundRect',
            symbolSize: [NODE_W - indent, NODE_H],
            value: n.priority,
            itemStyle: {
              color: COLORS[n.status],
              borderColor: n.bottleneck ? '#1f2933' : '#ffffff',
              borderWidth: n.bottleneck ? 3 : 1
            },
            label: {
              show: true,
              color: '#fff',
              fontSize: font,
              lineHeight: font + 3,
              width: NODE_W - indent - 10,
              overflow: 'truncate',
              formatter: name + '\n' + t('企业 ', 'firms ') + c.local_enterprises + '/' + c.enterprises +
                t(' · 供给 ', ' · supply ') + c.local_supply + t(' · 需求 ', ' · needs ') + c.open_needs
            },
            tooltip: {
              formatter: name + '\n' + n.reasons.map(function (r) { return zh ? r.zh : r.en; }).join('\n')
            }
          });
        });
        if (narrow) rowsHere += col.length;
        maxRows = Math.max(maxRows, col.length);
      });
      if (narrow) { y0 += HEAD + rowsHere * ROW_H + 16; } else { x0 += bandW + GAP; }
    });
    var mine = {};
    data.forEach(function (d) { mine[d.id] = true; });
    var links = [];
    v.edges.forEach(function (e) {
      if (mine[e.from] && mine[e.to]) {
        links.push({
          source: e.from, target: e.to,
          lineStyle: { color: e.declared_cycle ? '#9aa5b1' : '#52606d', type: e.declared_cycle ? 'dotted' : 'solid',
            width: 1.2, curveness: byCode[e.from].stage === byCode[e.to].stage ? 0.3 : 0.08, opacity: 0.7 }
        });
      }
    });
    nodes.forEach(function (n) {
      if (n.parent && mine[n.parent]) {
        links.push({ source: n.parent, target: n.node, symbol: ['none', 'none'],
          lineStyle: { color: '#cbd2d9', type: 'dashed', width: 1, curveness: 0.2 } });
      }
    });
    size = narrow ? { w: width, h: y0 + 8 } : { w: x0 - GAP + 12, h: HEAD + maxRows * ROW_H + 12 };
    // Two invisible corners make the data's extent the whole drawing, so it maps 1:1 to pixels.
    [['@tl', 0, 0], ['@br', size.w, size.h]].forEach(function (p) {
      data.push({ id: p[0], name: '', x: p[1], y: p[2], symbolSize: 0, label: { show: false },
        itemStyle: { color: 'rgba(0,0,0,0)' }, tooltip: { show: false } });
    });
    return {
      animation: false,
      backgroundColor: '#ffffff',
      tooltip: { renderMode: 'richText', confine: true },
      series: [{
        type: 'graph', layout: 'none', roam: true, coordinateSystem: null, scaleLimit: { min: 0.4, max: 4 },
        // Data coordinates are pixels of the drawing: place them as they are.
        left: 0, top: 0, width: size.w, height: size.h,
        data: data, links: links,
        edgeSymbol: ['none', 'arrow'], edgeSymbolSize: 7,
        emphasis: { focus: 'adjacency' }
      }]
    };
  }

  function text(tag, s, cls) {
    var e = document.createElement(tag);
    e.textContent = s;
    if (cls) e.className = cls;
    return e;
  }

  function showPanel(code) {
    var panel = document.getElementById('node-panel');
    if (!panel) return;
    panel.hidden = false;
    panel.textContent = t('正在加载…', 'Loading…');
    var url = '/api/v1/chains/nodes/' + encodeURIComponent(code) + '/fillers?limit=5&region=' + encodeURIComponent(region);
    fetch(url, { credentials: 'same-origin' })
      .then(function (r) { return r.json(); })
      .then(function (v) {
        panel.textContent = '';
        panel.setAttribute('data-node', code);
        var g = v.result.gap;
        var head = text('h3', (zh ? v.node.zh : v.node.en) + ' · ' + t({ strong: '强链', weak: '弱链', missing: '缺链' }[g.status], g.status));
        panel.appendChild(head);
        var why = document.createElement('ul');
        why.className = 'why';
        g.reasons.forEach(function (r) { why.appendChild(text('li', zh ? r.zh : r.en)); });
        panel.appendChild(why);
        var f = v.result.fillers;
        [[t('可转化的科技成果', 'Outcomes'), f.outcomes], [t('专家', 'Experts'), f.experts],
         [t('实验室与科研机构', 'Labs and institutes'), f.labs], [t('中试平台与概念验证中心', 'Pilot platforms'), f.pilot_platforms]]
          .forEach(function (section) {
            panel.appendChild(text('h3', section[0] + ' (' + section[1].length + ')'));
            var ol = document.createElement('ol');
            ol.className = 'fillers';
            section[1].forEach(function (x) {
              var li = document.createElement('li');
              var loc = { local: t('本地', 'local'), chengyu: t('成渝', 'Chengdu–Chongqing'), elsewhere: t('其他', 'elsewhere') }[x.locality];
              li.appendChild(text('span', '[' + loc + '] ' + x.name + ' — ', ''));
              li.appendChild(text('span', (zh ? x.reasons_zh : x.reasons_en).join('；'), 'why'));
              ol.appendChild(li);
            });
            panel.appendChild(ol);
          });
        var a = text('a', t('打开环节详情 →', 'Open the link\'s page →'));
        a.href = '/chains/nodes/' + encodeURIComponent(code);
        panel.appendChild(a);
        panel.scrollIntoView({ block: 'nearest' });
      })
      .catch(function () { panel.textContent = t('加载失败', 'Could not load'); });
  }

  function download(name, href) {
    var a = document.createElement('a');
    a.href = href;
    a.download = name;
    document.body.appendChild(a);
    a.click();
    a.remove();
  }

  function exportSvg() {
    // A server-side-style render with the SVG renderer gives a standalone file.
    var ssr = echarts.init(null, null, { renderer: 'svg', ssr: true, width: size.w, height: size.h });
    ssr.setOption(option);
    var svg = ssr.renderToSVGString();
    ssr.dispose();
    var url = URL.createObjectURL(new Blob([svg], { type: 'image/svg+xml' }));
    download(cluster + '-chain.svg', url);
    setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
  }

  function exportPng() {
    download(cluster + '-chain.png', chart.getDataURL({ type: 'png', pixelRatio: 2, backgroundColor: '#ffffff' }));
  }

  fetch('/api/v1/chains/' + encodeURIComponent(cluster) + '/gaps?region=' + encodeURIComponent(region), { credentials: 'same-origin' })
    .then(function (r) { return r.json(); })
    .then(function (v) {
      option = layout(v);
      el.style.height = Math.max(300, size.h) + 'px';
      chart = echarts.init(el, null, { renderer: 'canvas' });
      chart.setOption(option);
      chart.on('click', function (p) {
        if (p.dataType === 'node' && p.data.id.charAt(0) !== '@') showPanel(p.data.id);
      });
      window.addEventListener('resize', function () { chart.resize(); });
      el.setAttribute('data-nodes', String(v.gaps.nodes.length));
      el.setAttribute('data-links', String(option.series[0].links.length));
      el.setAttribute('data-ready', '1');
    })
    .catch(function (e) { el.textContent = t('图谱加载失败：', 'The graph could not be drawn: ') + e; });

  var svgButton = document.getElementById('export-svg');
  var pngButton = document.getElementById('export-png');
  if (svgButton) svgButton.addEventListener('click', function () { if (option) exportSvg(); });
  if (pngButton) pngButton.addEventListener('click', function () { if (chart) exportPng(); });
  Array.prototype.forEach.call(document.querySelectorAll('button.show-fillers'), function (b) {
    b.addEventListener('click', function () { showPanel(b.getAttribute('data-node')); });
  });
})();
