'use strict';

(function () {
  const form = document.getElementById('login-form');
  const error = document.getElementById('login-error');
  const notice = document.getElementById('notice');

  const message = sessionStorage.getItem('podvault.notice');
  if (message) {
    notice.textContent = message;
    notice.hidden = false;
    sessionStorage.removeItem('podvault.notice');
  }
  if (podvault.token()) {
    location.replace('settings.html');
    return;
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.hidden = true;
    const username = form.username.value.trim();
    const password = form.password.value;
    if (!username || !password) {
      podvault.showError(error, 'Enter your user name and password.');
      return;
    }
    try {
      const result = await podvault.api('POST', '/api/auth/login', { username, password }, { anonymous: true });
      podvault.signIn(result.token, result.user);
      location.replace('settings.html');
    } catch (e) {
      podvault.showError(error, e.message);
    }
  });
})();
