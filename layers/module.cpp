#include "layers/module.h"

#include "base/error.h"

namespace heatmark {

void Module::register_parameter(std::string name, Tensor* tensor) {
  tensor->set_requires_grad(true);
  parameters_.emplace_back(std::move(name), tensor);
}

void Module::register_buffer(std::string name, Tensor* tensor) { buffers_.emplace_back(std::move(name), tensor); }

void Module::register_module(std::string name, Module* child) { children_.emplace_back(std::move(name), child); }

void Module::collect(const std::string& prefix, bool parameters, std::vector<std::pair<std::string, Tensor*>>& out) {
  for (auto& [name, tensor] : parameters ? parameters_ : buffers_) out.emplace_back(prefix + name, tensor);
  for (auto& [name, child] : children_) child->collect(prefix + name + ".", parameters, out);
}

std::vector<std::pair<std::string, Tensor*>> Module::named_parameters() {
  std::vector<std::pair<std::string, Tensor*>> out;
  collect("", true, out);
  for (auto& [name, tensor] : out) tensor->set_name(name);
  return out;
}

std::vector<std::pair<std::string, Tensor*>> Module::named_buffers() {
  std::vector<std::pair<std::string, Tensor*>> out;
  collect("", false, out);
  for (auto& [name, tensor] : out) tensor->set_name(name);
  return out;
}

std::vector<Tensor*> Module::parameters() {
  std::vector<Tensor*> out;
  for (auto& [name, tensor] : named_parameters()) out.push_back(tensor);
  return out;
}

int64_t Module::parameter_count() {
  int64_t count = 0;
  for (Tensor* p : parameters()) count += p->numel();
  return count;
}

void Module::train(bool on) {
  training_ = on;
  for (auto& [name, child] : children_) child->train(on);
}

void Module::zero_grad() {
  for (Tensor* p : parameters()) p->zero_grad();
}

void Module::to(Device device) {
  for (auto& [name, p] : named_parameters()) {
    if (p->device() == device) continue;
    *p = p->to(device).detach();
    p->set_name(name).set_requires_grad(true);
  }
  for (auto& [name, b] : named_buffers()) {
    if (b->device() == device) continue;
    *b = b->to(device);
    b->set_name(name);
  }
}

}  // namespace heatmark
