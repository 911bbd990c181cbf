"""xtest.py - input for real under Xvfb, through the X server's XTEST
extension (libXtst via ctypes), as a user's would come:

  x = XTest(display, w, h)     open the display (skips if it cannot)
  x.key("space")               press and release a key by its keysym name;
  x.key("greater", shift=True) with Shift held (for >, <, #...)
  x.click(x, y), x.drag(x0, x1, y)
  x.close()
"""
import ctypes, time

import swarm


class XTest:
    def __init__(self, display, w, h):
        try:
            self.x11 = ctypes.CDLL("libX11.so.6")
            self.xtst = ctypes.CDLL("libXtst.so.6")
        except OSError as e:
            swarm.skip("libX11/libXtst not loadable: %s" % e)
        x11, xtst = self.x11, self.xtst
        x11.XOpenDisplay.restype = ctypes.c_void_p
        x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
        x11.XStringToKeysym.restype = ctypes.c_ulong
        x11.XStringToKeysym.argtypes = [ctypes.c_char_p]
        x11.XKeysymToKeycode.argtypes = [ctypes.c_void_p, ctypes.c_ulong]
        x11.XFlush.argtypes = [ctypes.c_void_p]
        x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
        for fn in (xtst.XTestFakeKeyEvent, xtst.XTestFakeButtonEvent):
            fn.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.c_int, ctypes.c_ulong]
        xtst.XTestFakeMotionEvent.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int,
                                              ctypes.c_int, ctypes.c_ulong]
        self.w, self.h = w, h
        self.dpy = x11.XOpenDisplay(display.encode())
        if not self.dpy:
            swarm.skip("cannot open the Xvfb display")

    def _code(self, name):
        return self.x11.XKeysymToKeycode(self.dpy, self.x11.XStringToKeysym(name.encode()))

    def key(self, name, shift=False):
        code = self._code(name)
        self.xtst.XTestFakeMotionEvent(self.dpy, -1, self.w // 2, self.h // 3, 0)  # focus
        if shift:
            self.xtst.XTestFakeKeyEvent(self.dpy, self._code("Shift_L"), 1, 0)
        self.xtst.XTestFakeKeyEvent(self.dpy, code, 1, 0)
        self.xtst.XTestFakeKeyEvent(self.dpy, code, 0, 0)
        if shift:
            self.xtst.XTestFakeKeyEvent(self.dpy, self._code("Shift_L"), 0, 0)
        self.x11.XFlush(self.dpy)

    def click(self, x, y):
        self.xtst.XTestFakeMotionEvent(self.dpy, -1, x, y, 0)
        self.xtst.XTestFakeButtonEvent(self.dpy, 1, 1, 0)
        self.xtst.XTestFakeButtonEvent(self.dpy, 1, 0, 0)
        self.x11.XFlush(self.dpy)

    def drag(self, x0, x1, y, steps=8, pause=0.05, hold=0.2):
        """Press at x0, move to x1 in steps (pause s apart), hold, release;
        pause=hold=0: all at once, as a busy machine hands events over."""
        self.xtst.XTestFakeMotionEvent(self.dpy, -1, x0, y, 0)
        self.xtst.XTestFakeButtonEvent(self.dpy, 1, 1, 0)
        self.x11.XFlush(self.dpy)
        for i in range(1, steps + 1):
            time.sleep(pause)
            self.xtst.XTestFakeMotionEvent(self.dpy, -1, x0 + (x1 - x0) * i // steps, y, 0)
            self.x11.XFlush(self.dpy)
        time.sleep(hold)
        self.xtst.XTestFakeButtonEvent(self.dpy, 1, 0, 0)
        self.x11.XFlush(self.dpy)

    def close(self):
        self.x11.XCloseDisplay(self.dpy)
