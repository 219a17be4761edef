#!/usr/bin/env python3
# Send WM_DELETE_WINDOW to every top-level window whose title contains argv[1] (what a window
# manager's close button does).
import sys
from Xlib import display, X, protocol
d = display.Display()
root = d.screen().root
wm_protocols = d.intern_atom('WM_PROTOCOLS')
wm_delete = d.intern_atom('WM_DELETE_WINDOW')
n = 0
def walk(w):
    global n
    try:
        name = w.get_wm_name() or ''
        if isinstance(name, bytes): name = name.decode('utf8', 'replace')
        protos = w.get_wm_protocols() or []
    except Exception:
        name, protos = '', []
    if sys.argv[1] in name and wm_delete in protos:
        ev = protocol.event.ClientMessage(window=w, client_type=wm_protocols, data=(32, [wm_delete, X.CurrentTime, 0, 0, 0]))
        w.send_event(ev)
        n += 1
    for c in w.query_tree().children:
        walk(c)
walk(root)
d.flush()
print(n)
sys.exit(0 if n else 1)
