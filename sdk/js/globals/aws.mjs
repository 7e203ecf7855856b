// `AWS` as a global: the Serverless Framework's websocket guide prints its handler
// (`new AWS.ApiGatewayManagementApi(...)`) without `require('aws-sdk')`, and wsh runs the guide's
// code as printed. A handler that requires it gets the same module.
import AWS from 'aws-sdk';

export { AWS };
