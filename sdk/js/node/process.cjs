// `require('process')`: the global `process` the SDK sets up (env, cwd, nextTick, ...).
module.exports = globalThis.process;
