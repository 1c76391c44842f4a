// Pinstream's little bit of JavaScript: the user switcher, "load more", forms without a page
// reload, the live unseen badge (server-sent events) and the self-refreshing stats page.
// Everything works without it too (plain links and form posts).
(function () {
  'use strict';

  function onReady(fn) {
    if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', fn);
    else fn();
  }

  function formBody(form, submitter) {
    var data = new FormData(form);
    if (submitter && submitter.name) data.append(submitter.name, submitter.value);
    return new URLSearchParams(data);
  }

  onReady(function () {
    // The switcher submits itself when a person is picked.
    document.querySelectorAll('select[data-autosubmit]').forEach(function (select) {
      var go = select.form && select.form.querySelector('.switcher-go');
      if (go) go.hidden = true;
      select.addEventListener('change', function () {
        if (select.value) select.form.submit();
      });
    });

    // "Load more": fetch the next page (paged by activity id) and append it.
    document.addEventListener('click', function (event) {
      var link = event.target.closest && event.target.closest('a[data-more]');
      if (!link) return;
      event.preventDefault();
      if (link.getAttribute('aria-busy') === 'true') return;
      link.setAttribute('aria-busy', 'true');
      var url =
        link.dataset.more +
        (link.dataset.more.indexOf('?') >= 0 ? '&' : '?') +
        'before=' +
        encodeURIComponent(link.dataset.cursor);
      fetch(url, { headers: { accept: 'application/json' }, credentials: 'same-origin' })
        .then(function (response) {
          if (!response.ok) throw new Error('HTTP ' + response.status);
          return response.json();
        })
        .then(function (page) {
          var target = document.getElementById(link.dataset.target);
          if (target) target.insertAdjacentHTML('beforeend', page.html);
          if (page.cursor) {
            link.dataset.cursor = page.cursor;
            link.href =
              link.dataset.more +
              (link.dataset.more.indexOf('?') >= 0 ? '&' : '?') +
              'before=' +
              encodeURIComponent(page.cursor);
            link.removeAttribute('aria-busy');
          } else {
            var end = document.createElement('p');
            end.className = 'end muted';
            end.setAttribute('data-testid', 'feed-end');
            end.textContent = 'You have reached the end.';
            link.parentNode.replaceWith(end);
          }
        })
        .catch(function () {
          link.removeAttribute('aria-busy');
          window.location.href = link.href;
        });
    });

    // Follow and love buttons: post with fetch and swap in the new button.
    document.addEventListener('submit', function (event) {
      var form = event.target;
      if (!form.matches || !form.matches('form[data-ajax]')) return;
      event.preventDefault();
      var button = form.querySelector('button');
      if (button) button.disabled = true;
      fetch(form.action, {
        method: 'POST',
        headers: {
          accept: 'application/json',
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: formBody(form, event.submitter).toString(),
        credentials: 'same-origin',
      })
        .then(function (response) {
          return response.json().then(function (body) {
            if (!response.ok) throw new Error(body.message || 'HTTP ' + response.status);
            return body;
          });
        })
        .then(function (body) {
          if (body.html) form.outerHTML = body.html;
          var count = document.querySelector('[data-testid="followers-count"]');
          if (
            count &&
            typeof body.followers === 'number' &&
            form.classList.contains('follow-form')
          ) {
            count.textContent = body.followers;
            var label = document.querySelector('[data-followers-label]');
            if (label) label.textContent = body.followers === 1 ? 'follower' : 'followers';
          }
        })
        .catch(function (error) {
          if (button) button.disabled = false;
          window.alert(error.message);
        });
    });

    // One event stream per page (GET /events, server-sent events): the unseen badge's counts,
    // pushed when the notification feed changes, and "your feed is ready" when a returning
    // user's feed rebuild ends (in a worker or in the web process).
    var user = document.body.dataset.user;
    var badge = document.getElementById('unseen-badge');
    var preparing = document.querySelector('[data-feed-status]');
    var grid = document.getElementById('home-grid');
    var stream = { connected: false, onOpen: null, onReady: null };
    if (user && (badge || preparing) && window.EventSource) {
      var baseTitle = document.body.dataset.title || document.title;
      var source = null;
      var onCounts = function (event) {
        if (!badge) return;
        var counts = JSON.parse(event.data);
        badge.textContent = String(counts.unseen);
        badge.hidden = counts.unseen === 0;
        badge.dataset.unseen = String(counts.unseen);
        document.title = counts.unseen > 0 ? '(' + counts.unseen + ') ' + baseTitle : baseTitle;
      };
      var connect = function () {
        if (source) return;
        source = new EventSource('/events');
        source.addEventListener('counts', onCounts);
        source.addEventListener('feed-ready', function () {
          if (stream.onReady) stream.onReady();
        });
        // Also after each reconnect: an event sent while the stream was down is not replayed.
        source.addEventListener('open', function () {
          stream.connected = true;
          if (stream.onOpen) stream.onOpen();
        });
        source.addEventListener('error', function () {
          stream.connected = false;
        });
      };
      var disconnect = function () {
        stream.connected = false;
        if (source) source.close();
        source = null;
      };
      // Background tabs let go of their stream (browsers allow few connections per site); the
      // server sends the current counts first whenever a tab connects again.
      document.addEventListener('visibilitychange', function () {
        if (document.hidden) disconnect();
        else connect();
      });
      window.addEventListener('pagehide', disconnect);
      if (!document.hidden) connect();
    }

    // "Your feed is being prepared": the stream says when the rebuild is done; then the grid is
    // filled in and the banner goes, without a reload. /feed-status is asked once each time the
    // stream opens (the rebuild may have ended before it did), every 2 s while there is no
    // stream, and every 30 s as a safety net while there is one.
    if (preparing && grid) {
      var finished = false;
      var checking = false;
      var ticks = 0;
      var timer = null;
      var renderMore = function (cursor) {
        var old = grid.parentNode.querySelector(
          '.more a[data-target="home-grid"], [data-testid="feed-end"]',
        );
        var holder = old ? old.closest('.more') || old : null;
        var next;
        if (cursor) {
          next = document.createElement('div');
          next.className = 'more';
          var link = document.createElement('a');
          link.className = 'btn btn-secondary';
          link.href = '/more/home?before=' + encodeURIComponent(cursor);
          link.dataset.more = '/more/home';
          link.dataset.cursor = cursor;
          link.dataset.target = 'home-grid';
          link.setAttribute('data-testid', 'load-more');
          link.textContent = 'Load more';
          next.appendChild(link);
        } else {
          next = document.createElement('p');
          next.className = 'end muted';
          next.setAttribute('data-testid', 'feed-end');
          next.textContent = 'You have reached the end.';
        }
        if (holder) holder.replaceWith(next);
        else grid.after(next);
      };
      var finish = function () {
        if (finished) return;
        finished = true;
        clearInterval(timer);
        fetch('/more/home', { headers: { accept: 'application/json' }, credentials: 'same-origin' })
          .then(function (response) {
            if (!response.ok) throw new Error('HTTP ' + response.status);
            return response.json();
          })
          .then(function (page) {
            grid.innerHTML = page.html;
            renderMore(page.cursor);
            preparing.remove();
          })
          .catch(function () {
            // The feed is ready; the page is not: a reload shows it.
            window.location.reload();
          });
      };
      var check = function () {
        if (finished || checking) return;
        checking = true;
        fetch(preparing.dataset.feedStatus, { credentials: 'same-origin' })
          .then(function (response) {
            return response.ok ? response.json() : null;
          })
          .then(function (state) {
            checking = false;
            if (state && state.status === 'ready') finish();
          })
          .catch(function () {
            checking = false;
          });
      };
      stream.onReady = finish;
      stream.onOpen = check;
      timer = setInterval(function () {
        ticks++;
        if (document.hidden) return;
        if (!stream.connected || ticks % 15 === 0) check();
      }, 2000);
      window.addEventListener('pagehide', function () {
        clearInterval(timer);
      });
    }

    // The stats page refreshes itself.
    document.querySelectorAll('[data-refresh]').forEach(function (box) {
      var interval = Number(box.dataset.interval) || 2000;
      var timer = setInterval(function () {
        if (document.hidden) return;
        fetch(box.dataset.refresh, { credentials: 'same-origin' })
          .then(function (response) {
            return response.ok ? response.text() : null;
          })
          .then(function (text) {
            if (text !== null) box.innerHTML = text;
          })
          .catch(function () {});
      }, interval);
      window.addEventListener('pagehide', function () {
        clearInterval(timer);
      });
    });
  });
})();
