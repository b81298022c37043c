// The pages other than the console, one bundle; the body's data-page picks one.
import { initNav, page } from './common.js';
import { hostsPage } from './hosts.js';
import { loginPage } from './login.js';
import { meshPage } from './mesh.js';
import { vmsPage } from './vms.js';

const main = document.getElementById('main')!;
if (page.page === 'login') loginPage(main);
else {
  initNav();
  if (page.page === 'vms') vmsPage(main);
  else if (page.page === 'hosts') void hostsPage(main);
  else if (page.page === 'mesh') void meshPage(main);
}
