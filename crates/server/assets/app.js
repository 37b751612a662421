// Shuanglian: light progressive enhancement. The pages work without it.
(function () {
  // The phone menu: with JavaScript the links fold behind one button; without, they all show.
  document.documentElement.classList.add('js');
  var toggle = document.getElementById('menu-toggle');
  if (toggle) {
    toggle.addEventListener('click', function () {
      var header = toggle.closest('header');
      var open = header.classList.toggle('open');
      toggle.setAttribute('aria-expanded', open ? 'true' : 'false');
    });
  }
})();
(function () {
  // Background embedding progress on the home page: poll the status API until ready.
  var el = document.getElementById('embedding');
  if (!el) return;
  var bar = el.querySelector('.progress > div');
  var text = el.querySelector('.state');
  function tick() {
    fetch('/api/v1/status', { credentials: 'same-origin' })
      .then(function (r) { return r.json(); })
      .then(function (s) {
        var e = s.embedding || {};
        var pct = e.total ? Math.round(100 * e.done / e.total) : 0;
        if (bar) { bar.className = 'w' + Math.min(100, Math.round(pct / 10) * 10); }
        if (text) { text.textContent = e.total ? e.done + '/' + e.total : ''; }
        if (e.state === 'embedding') { setTimeout(tick, 3000); }
      })
      .catch(function () { setTimeout(tick, 10000); });
  }
  if (el.getAttribute('data-state') === 'embedding') { setTimeout(tick, 2000); }
})();
