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
  var COL_W = 320, NODE_W = 240, NODE_H = 40, ROW_H = 54, TOP = 70;
  var chart = null, option = null, size = { w: 0, h: 0 };

  function t(zhText, enText) { return zh ? zhText : enText; }

  function layout(v) {
    var nodes = v.gaps.nodes;
    var byCode = {};
    nodes.forEach(function (n) { byCode[n.node] = n; });
    // Order within a column: each top-level link followed by its children.
    var columns = { upstream: [], midstream: [], downstream: [] };
    function place(n, depth) {
      columns[n.stage].push({ n: n, depth: depth });
      nodes.forEach(function (c) { if (c.parent === n.node) place(c, depth + 1); });
    }
    nodes.forEach(function (n) { if (!n.parent || !byCode[n.parent]) place(n, 0); });
    var data = [];
    var rows = 0;
    STAGES.forEach(function (s, col) {
      rows = Math.max(rows, columns[s].length);
      columns[s].forEach(function (item, row) {
        var n = item.n;
        var c = n.counts;
        data.push({
          id: n.node,
          name: n.node,
          x: 40 + col * COL_W + item.depth * 22 + NODE_W / 2,
          y: TOP + row * ROW_H,
          symbol: 'roundRect',
          symbolSize: [NODE_W - item.depth * 22, NODE_H],
          value: n.priority,
          itemStyle: {
            color: COLORS[n.status],
            borderColor: n.bottleneck ? '#1f2933' : '#ffffff',
            borderWidth: n.bottleneck ? 3 : 1
          },
          label: {
            show: true,
            color: '#fff',
            fontSize: 12,
            lineHeight: 15,
            formatter: (zh ? n.zh : n.en) + '\n' + t('企业 ', 'firms ') + c.local_enterprises + '/' + c.enterprises +
              t(' · 供给 ', ' · supply ') + c.local_supply + t(' · 需求 ', ' · needs ') + c.open_needs
          },
          tooltip: {
            formatter: (zh ? n.zh : n.en) + ' (' + n.node + ')\n' +
              n.reasons.map(function (r) { return zh ? r.zh : r.en; }).join('\n')
          }
        });
      });
    });
    var mine = {};
    data.forEach(function (d) { mine[d.id] = true; });
    var links = [];
    v.edges.forEach(function (e) {
      if (mine[e.from] && mine[e.to]) {
        links.push({
          source: e.from, target: e.to,
          lineStyle: { color: e.declared_cycle ? '#9aa5b1' : '#52606d', type: e.declared_cycle ? 'dotted' : 'solid',
            width: 1.2, curveness: byCode[e.from].stage === byCode[e.to].stage ? 0.35 : 0.08 }
        });
      }
    });
    nodes.forEach(function (n) {
      if (n.parent && mine[n.parent]) {
        links.push({ source: n.parent, target: n.node, symbol: ['none', 'none'],
          lineStyle: { color: '#cbd2d9', type: 'dashed', width: 1, curveness: 0.2 } });
      }
    });
    // Column headings are label-only nodes, so they move and scale with the graph.
    STAGES.forEach(function (s, col) {
      data.push({
        id: '@' + s, name: STAGE_LABEL[s], x: 40 + col * COL_W + NODE_W / 2, y: TOP - ROW_H,
        symbolSize: 1, itemStyle: { color: 'rgba(0,0,0,0)' }, tooltip: { show: false },
        label: { show: true, color: '#1f2933', fontSize: 15, fontWeight: 'bold', formatter: STAGE_LABEL[s] }
      });
    });
    size = { w: 40 + STAGES.length * COL_W, h: TOP + rows * ROW_H + 20 };
    return {
      animation: false,
      backgroundColor: '#ffffff',
      tooltip: { renderMode: 'richText' },
      series: [{
        type: 'graph', layout: 'none', roam: true, coordinateSystem: null,
        // The data box is fitted into the view: leave half a node's width on each side.
        left: NODE_W / 2 + 12, right: NODE_W / 2 + 12, top: 30, bottom: 30,
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
      el.style.height = Math.max(360, size.h + 20) + 'px';
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
