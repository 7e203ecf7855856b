// `require('assert/strict')`: the strict comparisons under the loose names.
module.exports = require('./assert.mjs').strict;
