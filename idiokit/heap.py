"""idiokit.heap: a binary min-heap whose entries can be removed by handle.

Heap(iterable=()) keeps values in ascending order.  push(value) returns a
node handle; peek(node=None) and pop(node=None) look at or remove the
smallest value, or the value of the given node wherever it sits in the
heap.  head() returns the handle of the smallest value.  Operations on an
empty heap, or on a node that is not (or no longer) in this heap, raise
HeapError.  Values only need '<' and '<='.
"""
from __future__ import absolute_import


class HeapError(Exception):
    """An operation on an empty heap, or with a node not in the heap."""


class _Node(object):
    """The handle of one entry: its value and its place in the array."""

    __slots__ = ("_index", "_value")

    def __init__(self, index, value):
        self._index = index
        self._value = value


class Heap(object):
    """A min-heap of values with removable node handles."""

    __slots__ = ("_nodes",)

    def __init__(self, iterable=()):
        self._nodes = []
        for value in iterable:
            self.push(value)

    def __len__(self):
        return len(self._nodes)

    def _find(self, node):
        nodes = self._nodes
        if not nodes:
            raise HeapError("empty heap")
        if node is None:
            return nodes[0]
        index = getattr(node, "_index", None)
        if index is None or index >= len(nodes) or nodes[index] is not node:
            raise HeapError("node not in the heap")
        return node

    def push(self, value):
        """Add value; return its node handle."""
        node = _Node(len(self._nodes), value)
        self._nodes.append(node)
        self._sift_up(node)
        return node

    def head(self):
        """The node handle of the smallest value."""
        return self._find(None)

    def peek(self, node=None):
        """The smallest value, or the value of node."""
        return self._find(node)._value

    def pop(self, node=None):
        """Remove and return the smallest value, or the value of node."""
        node = self._find(node)
        nodes = self._nodes
        last = nodes.pop()
        if last is not node:
            nodes[node._index] = last
            last._index = node._index
            self._sift_down(last)
            self._sift_up(last)
        node._index = None
        return node._value

    def _place(self, node, index):
        self._nodes[index] = node
        node._index = index

    def _sift_up(self, node):
        nodes = self._nodes
        index = node._index
        while index > 0:
            parent_index = (index - 1) // 2
            parent = nodes[parent_index]
            if parent._value <= node._value:
                break
            self._place(parent, index)
            index = parent_index
        self._place(node, index)

    def _sift_down(self, node):
        nodes = self._nodes
        count = len(nodes)
        index = node._index
        while True:
            child_index = 2 * index + 1
            if child_index >= count:
                break
            child = nodes[child_index]
            right_index = child_index + 1
            if right_index < count and nodes[right_index]._value < child._value:
                child_index, child = right_index, nodes[right_index]
            if not child._value < node._value:
                break
            self._place(child, index)
            index = child_index
        self._place(node, index)
