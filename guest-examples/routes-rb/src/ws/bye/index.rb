# The server closes the caller's connection; $disconnect then runs.
require 'architect/functions'

def handler(req)
  id = req['requestContext']['connectionId']
  Arc::WS.send id: id, payload: 'bye' # a String goes as it is: the text frame `bye`
  Arc::WS.close id: id
end
