// Browser side of the Formation dashboard: the serial console terminal (xterm.js) and small helpers.
window.formationTerminal = (() => {
  const terminals = new Map();
  let next = 1;

  function themeOf(dark) {
    return dark
      ? { background: "#0f1419", foreground: "#d8dee9", cursor: "#d8dee9" }
      : { background: "#1e1e1e", foreground: "#e6e6e6", cursor: "#e6e6e6" };
  }

  return {
    // Opens a terminal in `element`; keystrokes go, in order, to dotnet.invokeMethodAsync("SendAsync", text).
    open(element, dotnet, dark) {
      const term = new Terminal({
        convertEol: false,
        cursorBlink: true,
        fontFamily: "ui-monospace, 'DejaVu Sans Mono', monospace",
        fontSize: 14,
        scrollback: 5000,
        theme: themeOf(dark),
      });
      const fit = new FitAddon.FitAddon();
      term.loadAddon(fit);
      term.open(element);
      fit.fit();
      const id = next++;
      const onResize = () => { try { fit.fit(); } catch { /* hidden */ } };
      window.addEventListener("resize", onResize);
      // Keystrokes go one call at a time, in order: typed while a call is in flight, they wait and go together in the
      // next one. (One call per keystroke, unawaited, let the server run them concurrently and reorder what was typed.)
      let pending = "";
      let sending = false;
      const pump = async () => {
        if (sending || pending.length === 0) { return; }
        sending = true;
        const chunk = pending;
        pending = "";
        try { await dotnet.invokeMethodAsync("SendAsync", chunk); } catch { /* the component shows the error */ }
        sending = false;
        pump();
      };
      const input = term.onData(data => { pending += data; pump(); });
      terminals.set(id, { term, fit, input, onResize });
      return id;
    },
    write(id, bytes) {
      const t = terminals.get(id);
      if (t) { t.term.write(bytes); }
    },
    focus(id) {
      const t = terminals.get(id);
      if (t) { t.fit.fit(); t.term.focus(); }
    },
    dispose(id) {
      const t = terminals.get(id);
      if (!t) { return; }
      terminals.delete(id);
      window.removeEventListener("resize", t.onResize);
      t.input.dispose();
      t.term.dispose();
    },
  };
})();
