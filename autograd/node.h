// The autograd tape: a graph of Nodes built as operations run.
//
// Every differentiable op that sees an input requiring grad creates one Node
// for its output. The Node holds:
//   - an Edge per input: to the input's own Node (an intermediate result), to
//     the input tensor itself (a leaf: its gradient accumulates there), or to
//     nothing (the input needs no gradient);
//   - a backward function that maps the output gradient to one gradient per
//     input, capturing whatever the op saved for backward.
// backward() walks the graph from the output in reverse topological order.
// Afterwards each Node's backward function is released, which frees the saved
// tensors; a second backward through it is an error.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tensor/tensor.h"

namespace heatmark::autograd {

struct Node;

struct Edge {
  std::shared_ptr<Node> node;        // the input's producer, for intermediate results
  std::shared_ptr<TensorImpl> leaf;  // the input itself, for leaves requiring grad
  bool active() const { return node || leaf; }
};

// Maps the output gradient to one gradient per input (undefined where the
// input needs none).
using BackwardFn = std::function<std::vector<Tensor>(const Tensor& grad_output)>;

struct Node {
  std::string name;  // "Conv2dBackward", used in error messages
  std::vector<Edge> inputs;
  BackwardFn backward;
  Shape output_shape;
  bool released = false;
};

// True when an op on these inputs must record history.
bool needs_grad(const std::vector<Tensor>& inputs);

// Which inputs need a gradient (for ops that can skip work).
std::vector<bool> input_needs_grad(const std::vector<Tensor>& inputs);

// Records `output` as the result of op `name` on `inputs`, when grad mode is
// on and some input requires grad. Returns output.
Tensor record(Tensor output, std::string name, const std::vector<Tensor>& inputs, BackwardFn backward);

// Runs the backward pass from `root` with seed gradient `seed`.
void run_backward(const Tensor& root, const Tensor& seed, bool retain_graph);

}  // namespace heatmark::autograd
