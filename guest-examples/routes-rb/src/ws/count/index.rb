# A global counter. Every event runs in a fresh instance, so it answers 1 every time.
require 'json'

$count = 0

def handler(req)
  $count += 1
  { statusCode: 200, body: JSON.generate(count: $count) }
end
