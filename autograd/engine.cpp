// The backward engine: reverse topological traversal of the autograd graph.
#include <unordered_map>
#include <unordered_set>

#include "autograd/grad_mode.h"
#include "autograd/node.h"
#include "base/error.h"
#include "tensor/kernels.h"
#include "tensor/tensor_impl.h"

namespace heatmark::autograd {

bool needs_grad(const std::vector<Tensor>& inputs) {
  if (!grad_enabled()) return false;
  for (const Tensor& t : inputs)
    if (t.defined() && t.requires_grad()) return true;
  return false;
}

std::vector<bool> input_needs_grad(const std::vector<Tensor>& inputs) {
  std::vector<bool> needs(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) needs[i] = inputs[i].defined() && inputs[i].requires_grad();
  return needs;
}

Tensor record(Tensor output, std::string name, const std::vector<Tensor>& inputs, BackwardFn backward) {
  if (!needs_grad(inputs)) return output;
  auto node = std::make_shared<Node>();
  node->name = std::move(name);
  node->backward = std::move(backward);
  node->output_shape = output.shape();
  for (const Tensor& t : inputs) {
    Edge edge;
    if (t.defined() && t.requires_grad()) {
      if (t.grad_fn())
        edge.node = t.grad_fn();
      else
        edge.leaf = t.impl();
    }
    node->inputs.push_back(std::move(edge));
  }
  TensorImpl& impl = *output.impl();
  impl.requires_grad = true;
  impl.grad_fn = std::move(node);
  return output;
}

namespace {

// Adds g into the gradient of a leaf. The first gradient is copied, so a leaf
// never aliases a tensor the graph still uses.
void accumulate_leaf(TensorImpl& leaf, const Tensor& g) {
  HM_CHECK(g.shape() == leaf.shape, "autograd: gradient of shape {} for leaf '{}' of shape {}", g.shape().str(),
           leaf.name, leaf.shape.str());
  if (!leaf.grad.defined())
    leaf.grad = g.clone();
  else
    kernels::accumulate(leaf.grad, g);
}

// Nodes reachable from root, each after all nodes that consume its output.
std::vector<Node*> topological_order(Node* root) {
  std::vector<Node*> order;
  std::unordered_set<Node*> visited;
  // Iterative post-order DFS (graphs can be thousands of nodes deep).
  std::vector<std::pair<Node*, size_t>> stack{{root, 0}};
  visited.insert(root);
  while (!stack.empty()) {
    auto& [node, next] = stack.back();
    if (next < node->inputs.size()) {
      Node* child = node->inputs[next++].node.get();
      if (child && visited.insert(child).second) stack.push_back({child, 0});
    } else {
      order.push_back(node);
      stack.pop_back();
    }
  }
  std::reverse(order.begin(), order.end());  // root first
  return order;
}

}  // namespace

void run_backward(const Tensor& root, const Tensor& seed, bool retain_graph) {
  HM_CHECK(root.defined(), "backward(): called on an undefined tensor");
  HM_CHECK(root.requires_grad(),
           "backward(): {} of shape {} does not require grad; nothing to differentiate", root.label("the tensor"),
           root.shape().str());
  HM_CHECK(seed.shape() == root.shape(), "backward(): seed gradient has shape {} but {} has shape {}",
           seed.shape().str(), root.label("the output"), root.shape().str());
  HM_CHECK(seed.device() == root.device(), "backward(): seed gradient is on {} but the output is on {}",
           seed.device().str(), root.device().str());

  NoGrad no_grad;  // backward computations record no history
  if (!root.grad_fn()) {  // a leaf: its gradient is the seed
    accumulate_leaf(*root.impl(), seed);
    return;
  }

  std::unordered_map<Node*, Tensor> grads;
  Node* const top = root.grad_fn().get();
  grads[top] = seed;
  for (Node* node : topological_order(top)) {
    HM_CHECK(!node->released,
             "backward(): the graph through {} was already released by an earlier backward(); "
             "call backward(retain_graph=true) the first time to run backward twice",
             node->name);
    auto found = grads.find(node);
    if (found == grads.end()) continue;  // no gradient flows into this node
    const Tensor grad_output = std::move(found->second);
    grads.erase(found);
    HM_CHECK(grad_output.shape() == node->output_shape, "autograd: {} got a gradient of shape {}, expected {}",
             node->name, grad_output.shape().str(), node->output_shape.str());

    std::vector<Tensor> input_grads = node->backward(grad_output);
    HM_CHECK(input_grads.size() == node->inputs.size(), "autograd: {} returned {} gradients for {} inputs",
             node->name, input_grads.size(), node->inputs.size());
    for (size_t i = 0; i < input_grads.size(); ++i) {
      const Edge& edge = node->inputs[i];
      Tensor& g = input_grads[i];
      if (!edge.active() || !g.defined()) continue;
      if (edge.leaf) {
        accumulate_leaf(*edge.leaf, g);
      } else {
        auto [slot, inserted] = grads.try_emplace(edge.node.get(), g);
        if (!inserted) {
          // Sum into a fresh tensor: g may alias a gradient another node holds.
          slot->second = kernels::add(slot->second, g);
        }
      }
    }
    if (!retain_graph) {
      node->backward = nullptr;  // frees everything saved for backward
      node->released = true;
    }
  }
}

}  // namespace heatmark::autograd
