"""Test support: match EventBridge events against patterns with moto's EventBridge matcher (an independent judge).

Reads {"patterns": {name: pattern}, "events": {name: event}} as JSON on stdin and writes
{pattern name: [names of the events it matches]} as JSON on stdout. Exits 3 when moto cannot be imported.
"""
import json
import sys

try:
    from moto.events.models import EventPattern
except ImportError as err:  # the caller skips with this message
    print(f"moto is not importable: {err}", file=sys.stderr)
    sys.exit(3)

request = json.load(sys.stdin)
result = {}
for name, pattern in request["patterns"].items():
    matcher = EventPattern.load(json.dumps(pattern))
    result[name] = [event_name for event_name, event in request["events"].items() if matcher.matches_event(event)]
json.dump(result, sys.stdout)
