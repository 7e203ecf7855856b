// `require('assert')` is callable (`assert(value, message)`), which an ES module's namespace is
// not: this is the module, with every method on the function (assert.mjs).
module.exports = require('./assert.mjs').default;
