// Shuanglian tier funnel: draws each ladder (e.g. 创新型中小企业 → 专精特新 → 小巨人) as a funnel chart
// with the vendored ECharts, from the JSON in the chart box's data-funnel attribute. The table on the page holds the same
// numbers and works without this script.
(function () {
  'use strict';
  var box = document.getElementById('funnel-charts');
  if (!box || !window.echarts) return;
  var d = JSON.parse(box.getAttribute('data-funnel'));
  d.ladders.forEach(function (ladder, i) {
    var el = document.createElement('div');
    el.className = 'funnel-chart';
    el.id = 'funnel-chart-' + i;
    box.appendChild(el);
    var chart = echarts.init(el, null, { renderer: 'canvas' });
    var max = Math.max(1, Math.max.apply(null, ladder.steps.map(function (s) { return Math.max(s.qualify, s.held); })));
    function series(name, key, left, color) {
      return {
        name: name, type: 'funnel', sort: 'none', left: left, width: '40%', top: 40, bottom: 10,
        min: 0, max: max, minSize: '8%', gap: 2, itemStyle: { color: color, borderColor: '#fff' },
        label: { show: true, position: 'inside', color: '#fff', formatter: function (p) { return p.name + '\n' + p.value; } },
        data: ladder.steps.map(function (s) { return { name: s.name, value: s[key] }; })
      };
    }
    chart.setOption({
      animation: false,
      title: { text: ladder.name, left: 'center', textStyle: { fontSize: 14 } },
      tooltip: { trigger: 'item', formatter: '{a}<br>{b}: {c}' },
      legend: { bottom: 0, data: [d.held, d.qualify] },
      series: [series(d.held, 'held', '6%', '#1456c8'), series(d.qualify, 'qualify', '54%', '#2f9e6b')]
    });
    window.addEventListener('resize', function () { chart.resize(); });
  });
  box.setAttribute('data-ready', String(d.ladders.length));
})();
