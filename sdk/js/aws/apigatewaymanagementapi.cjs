// `require('aws-sdk/clients/apigatewaymanagementapi')`: v2's client class alone.

module.exports = require('./v2.mjs').ApiGatewayManagementApi;
