#!/usr/bin/env python3
"""Speaks the control-socket protocol exactly as minimega's generated Python
bindings (cmd/pyapigen's template) do, and checks every reply the way they
consume it: one JSON request per command ({"Command": ...} only), responses
read line by line until More is false, `for resp in response['Resp']` and
`resp['Error']`, `resp['Data']` read on each.

Usage: pyapigen_client.py SOCKET CLI_JSON
Runs every command of `minimega -cli`'s list that is safe without arguments,
plus setters, then a double `quit`; prints one JSON report on stdout.
"""
import json
import socket
import sys

# never run: they stop the daemon (checked separately at the end) or need a human
UNSAFE_FIRST_WORDS = {'quit', 'nuke', 'shell', 'background', 'read', 'write', 'deploy'}
# a required choice with one option is a literal word (`host <cpus,>`)
LITERAL, REQ_CHOICE = 2, 16
OPTIONAL = {9, 17, 33}  # optional string, optional choice, optional list

SETTERS = [
    'log level error',
    'log level',
    'vlans add A 100',
    'vlans',
    'clear vlans',
    'clear history',
    'log stderr false',
    'background echo hi',
    'background-status',
    'clear namespace',
    'namespace compat',
    'clear namespace compat',
    'mesh degree 0',
    'vm config memory 512',
    'clear vm config',
    'echo',
]


class Error(Exception):
    pass


class Minimega(object):
    """The generated class's transport, verbatim in behaviour."""

    def __init__(self, path):
        self.moreResponses = False
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._socket.settimeout(60)
        self._socket.connect(path)
        self._socketfile = self._socket.makefile('rb')

    def _get_response(self):
        line = self._socketfile.readline().decode('utf-8')
        response = json.loads(line) if line else None
        if not response:
            raise Error('Expected response, socket closed')
        # raise_errors=True: the bindings iterate over Resp on every reply
        for resp in response['Resp']:
            if resp['Error'] != '':
                pass  # (the bindings raise here; the report records it instead)
        return response

    def _run(self, *args):
        msg = json.dumps({'Command': ' '.join([str(v) for v in args if v is not None])})
        if self.moreResponses:
            raise Error('more responses to be read from last command')
        if len(msg) != self._socket.send(msg.encode('utf-8')):
            raise Error('failed to write message to minimega')
        response = self._get_response()
        if response['More']:
            self.moreResponses = True
        return response

    def streamResponses(self):
        self.moreResponses = False
        response = self._get_response()
        while response['More']:
            yield response
            response = self._get_response()
        yield response


def safe_commands(doc):
    out = []
    for handler in doc:
        for items in handler['parsed_patterns']:
            words = []
            ok = True
            for it in items:
                if it['type'] == LITERAL:
                    words.append(it['text'])
                elif it['type'] == REQ_CHOICE and len(it.get('options', [])) == 1:
                    words.append(it['options'][0])
                elif it['type'] in OPTIONAL:
                    break  # the rest is optional: leave it out
                else:
                    ok = False
                    break
            if not ok or not words or words[0] in UNSAFE_FIRST_WORDS:
                continue
            cmd = ' '.join(words)
            if cmd not in out:
                out.append(cmd)
    return out


def check_reply(cmd, reply, problems):
    resp = reply.get('Resp')
    if not isinstance(resp, list):
        problems.append('%s: Resp is %s, not a list' % (cmd, json.dumps(resp)))
        return
    if len(resp) == 0:
        problems.append('%s: Resp is an empty list (want one response per host)' % cmd)
    for r in resp:
        for key in ('Host', 'Response', 'Header', 'Tabular', 'Error', 'Data'):
            if key not in r:
                problems.append('%s: a response lacks %s' % (cmd, key))


def main():
    path, cli_json = sys.argv[1], sys.argv[2]
    with open(cli_json) as f:
        doc = json.load(f)
    commands = safe_commands(doc) + SETTERS
    mm = Minimega(path)
    problems = []
    errors = {}
    data = {}
    for cmd in commands:
        try:
            first = mm._run(cmd)
            replies = [first]
            if mm.moreResponses:
                replies = list(mm.streamResponses())
                replies.insert(0, first)
        except Exception as e:  # a hang or a closed socket is a failure
            problems.append('%s: %s: %s' % (cmd, type(e).__name__, e))
            # a dead connection ends the run
            break
        for reply in replies:
            check_reply(cmd, reply, problems)
            for r in reply['Resp'] or []:
                if r['Error']:
                    errors[cmd] = r['Error']
                if r['Data'] is not None:
                    data[cmd] = r['Data']
    # double quit: the first `quit` gets no reply; the connection ends (EOF)
    quit_eof = False
    try:
        mm._run('quit')
    except Error as e:
        quit_eof = str(e) == 'Expected response, socket closed'
    except Exception as e:
        problems.append('quit: %s: %s' % (type(e).__name__, e))
    print(json.dumps({
        'commands': commands,
        'problems': problems,
        'errors': errors,
        'data': data,
        'quitEof': quit_eof,
    }))


if __name__ == '__main__':
    main()
