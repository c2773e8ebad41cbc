"""idiokit.heap: ordering, node handles, removal from the middle, errors."""
from __future__ import absolute_import

import random

import pytest

from idiokit.heap import Heap, HeapError


def drain(heap):
    out = []
    while len(heap):
        out.append(heap.pop())
    return out


def test_pops_in_ascending_order():
    values = [random.randint(0, 1000) for _ in range(500)]
    assert drain(Heap(values)) == sorted(values)


def test_peek_and_head_show_the_smallest():
    heap = Heap([5, 3, 9])
    assert heap.peek() == 3
    assert heap.peek(heap.head()) == 3
    assert len(heap) == 3


def test_nodes_are_removed_from_anywhere():
    rng = random.Random(7)
    heap = Heap()
    nodes = dict((value, heap.push(value)) for value in rng.sample(range(10000), 300))
    removed = rng.sample(sorted(nodes), 120)
    for value in removed:
        assert heap.peek(nodes[value]) == value
        assert heap.pop(nodes[value]) == value
    assert drain(heap) == sorted(set(nodes) - set(removed))


def test_a_popped_node_is_no_longer_in_the_heap():
    heap = Heap([1, 2])
    node = heap.push(0)
    assert heap.pop() == 0
    with pytest.raises(HeapError):
        heap.pop(node)
    with pytest.raises(HeapError):
        heap.peek(node)


def test_a_node_of_another_heap_is_refused():
    one, other = Heap([1]), Heap([1])
    with pytest.raises(HeapError):
        one.pop(other.head())


def test_empty_heap_raises():
    heap = Heap()
    for call in (heap.pop, heap.peek, heap.head):
        with pytest.raises(HeapError):
            call()


def test_equal_values_and_tuples():
    heap = Heap([(2, "b"), (1, "z"), (2, "a"), (1, "z")])
    assert drain(heap) == [(1, "z"), (1, "z"), (2, "a"), (2, "b")]
