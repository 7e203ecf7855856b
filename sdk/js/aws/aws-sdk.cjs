// `require('aws-sdk')` (and `import AWS from 'aws-sdk'`) in a wsh handler: v2's
// ApiGatewayManagementApi, routed to wsh's ws calls (v2.mjs), plus AWS.config, AWS.Endpoint and
// AWS.Credentials. Every other service is an error that says why, when it is first named
// (handlers have no network; state goes in the key-value store, `kv` of '@wsh/sdk').

const { AWS } = require('./v2.mjs');

function unavailable(name) {
  return new Error(
    `AWS.${name} is not available in a wsh handler: it has no network; aws-sdk there is ApiGatewayManagementApi only, ` +
      'which reaches this app\'s connections (keep state in the key-value store: kv of @wsh/sdk)',
  );
}

module.exports = new Proxy(AWS, {
  get(target, key, receiver) {
    if (typeof key === 'string' && !(key in target) && /^[A-Z]/.test(key)) throw unavailable(key);
    return Reflect.get(target, key, receiver);
  },
});
