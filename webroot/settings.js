'use strict';

(async function () {
  if (!podvault.token()) {
    location.replace('index.html');
    return;
  }
  document.getElementById('logout').addEventListener('click', async () => {
    try {
      await podvault.api('POST', '/api/auth/logout');
    } finally {
      podvault.signOut();
    }
  });

  const me = await podvault.api('GET', '/api/auth/me');
  document.getElementById('who').textContent = me.username + (me.is_admin ? ' (administrator)' : '');
  document.getElementById('account').textContent = 'Signed in as ' + me.username + '.';
  document.getElementById('admin-settings').hidden = !me.is_admin;
})();
