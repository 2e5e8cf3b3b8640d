"""The shop component (world `shop` of ../wit/shop.wit), written as any off-the-shelf
component would be: typed exports, no wire SDK. The tests serve its exports as typegraph
functions through the `reflected` runtime kind."""

from componentize_py_types import Err, Ok, Result
from wit_world import WitWorld as World
from wit_world import exports
from wit_world.exports import echo, pricing
from wit_world.imports import typegate_wire

PRICES = {pricing.Size.SMALL: 1.0, pricing.Size.MEDIUM: 1.5, pricing.Size.LARGE: 2.0}


class WitWorld(World):
    def add(self, a: int, b: int) -> int:
        return a + b


class Pricing(exports.Pricing):
    def price(self, items: list[pricing.LineItem], payment: pricing.Payment) -> pricing.Quote:
        lines = []
        for item in items:
            each = 100 * PRICES[item.size]
            if pricing.Extras.GIFT_WRAP in item.extras:
                each += 50
            if pricing.Extras.EXPRESS in item.extras:
                each += 200
            if item.discount_pct is not None:
                each *= 1 - item.discount_pct / 100
            lines.append((item.sku, each * item.quantity / 100))
        total = round(sum(amount for _, amount in lines) * 100)
        insured = any(pricing.Extras.INSURED in i.extras for i in items)
        return pricing.Quote(total, lines, payment, "insured" if insured else None)

    def split(self, total: int, parts: int) -> list[int]:
        if parts == 0:
            raise Err("cannot split into 0 parts")
        share, rest = divmod(total, parts)
        return [share + (1 if i < rest else 0) for i in range(parts)]

    def describe(self) -> str:
        return "pricing"


class Echo(exports.Echo):
    def echo_widths(self, w: echo.Widths) -> echo.Widths:
        return w

    def scalars(
        self, flag: bool, letter: str, single: float, double: float, text: str
    ) -> tuple[bool, str, float, float, str]:
        return (not flag, letter.upper(), single * 2, double / 2, text[::-1])

    def shapes(self, s: list[echo.Shape]) -> list[echo.Shape]:
        return list(reversed(s))

    def maybe(self, x: int | None) -> int | None:
        return None if x is None else x // 2

    def outcomes(self, rs: list[Result[int, str]]) -> list[Result[int, str]]:
        return [Err(r.value.upper()) if isinstance(r, Err) else Ok(r.value + 1) for r in rs]

    def octets(self, b: bytes) -> bytes:
        return bytes(reversed(b))

    def nothing(self) -> None:
        print("nothing happened")

    def describe(self) -> str:
        return "echo"


class Misbehave(exports.Misbehave):
    def crash(self, message: str) -> int:
        raise RuntimeError(message)

    def spin(self, rounds: int) -> int:
        n = 0
        while rounds == 0 or n < rounds:
            n += 1
        return n

    def hog(self, mib: int) -> int:
        blocks = [bytearray(2**20) for _ in range(mib)]
        return len(blocks)

    def ask(self, op: str, json: str) -> str:
        return typegate_wire.hostcall(op, json)
