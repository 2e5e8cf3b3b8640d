"""Inline functions of the tests: a module's globals live as long as its instance."""

calls = 0


def count(inp):
    global calls
    calls += 1
    return calls


def spin(inp):
    while True:
        pass


def echo(inp, ctx):
    ctx.hostcall("log", {"level": "warning", "message": f"echo {inp['text']}"})
    return inp["text"]
