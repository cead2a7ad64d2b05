// Preloaded (NODE_OPTIONS=--require) into a sandbox's processes by tests that check what a
// daemon loaded: at exit, each process writes Node's list of the built-in modules and
// bindings it loaded to `<CONFAB_TEST_MODULE_LIST>.<pid>`. Module tracing (NODE_DEBUG) does
// not show built-ins taken with process.getBuiltinModule, which is how confab loads node:http.
'use strict';
const out = process.env.CONFAB_TEST_MODULE_LIST;
if (out) {
  process.on('exit', () => {
    process.getBuiltinModule('node:fs').writeFileSync(`${out}.${process.pid}`, process.moduleLoadList.join('\n'));
  });
}
