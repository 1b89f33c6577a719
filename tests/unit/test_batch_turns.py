"""cli/batch_turns.py: budget reservations happen in file order whatever order the lines'
plans finish in; a line that ends early still lets the others go; a stop frees everyone."""

from __future__ import annotations

import threading
import time

from image_skill.cli.batch_turns import Turns


def test_reservations_follow_file_order_when_plans_finish_in_reverse() -> None:
    lock = threading.Lock()
    numbers = [2, 5, 7, 9]
    turns = Turns(lock, numbers)
    order: list[int] = []

    def line(number: int, delay: float) -> None:
        time.sleep(delay)  # the plan: the last line answers first
        with lock:
            turns.wait(number, lambda: False)
            order.append(number)
            turns.done(number, lambda: False)

    threads = [
        threading.Thread(target=line, args=(n, 0.02 * (len(numbers) - i)))
        for i, n in enumerate(numbers)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    assert order == numbers


def test_a_line_that_ends_without_reserving_passes_its_turn_once() -> None:
    lock = threading.Lock()
    turns = Turns(lock, [1, 2, 3])
    with lock:
        turns.done(1, lambda: False)
        turns.done(1, lambda: False)  # again (the finally after a normal pass): no-op
        turns.wait(2, lambda: False)  # returns at once: it is line 2's turn
        turns.done(2, lambda: False)
        turns.wait(3, lambda: False)


def test_a_stop_releases_waiters_and_later_turns_catch_up() -> None:
    lock = threading.Lock()
    turns = Turns(lock, [1, 2, 3])
    stopped = False
    with lock:
        turns.wait(3, lambda: True)  # stopping: no wait for lines 1 and 2
        turns.done(3, lambda: True)  # passed out of order while stopping
        turns.done(1, lambda: stopped)
        turns.done(2, lambda: stopped)  # the turn now moves past 3 as well
        assert turns._turn == 3
