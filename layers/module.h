// Module: a building block of a model that owns named parameters (trained),
// buffers (state such as batch-norm running statistics) and child modules.
//
// Subclasses keep their tensors as members and register pointers to them, so
// names are hierarchical ("stage2.0.conv1.weight") and a model can be listed,
// saved, moved to a device or switched between training and eval as a whole.
// Modules are not copyable; hold them by value or shared_ptr.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tensor/tensor.h"

namespace heatmark {

class Module {
 public:
  Module() = default;
  virtual ~Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  // All parameters/buffers of this module and its children, with dotted names.
  std::vector<std::pair<std::string, Tensor*>> named_parameters();
  std::vector<std::pair<std::string, Tensor*>> named_buffers();
  std::vector<Tensor*> parameters();
  int64_t parameter_count();

  void train(bool on = true);  // recursively
  void eval() { train(false); }
  bool is_training() const { return training_; }

  void zero_grad();
  // Moves every parameter and buffer to `device` (parameters keep requiring grad).
  void to(Device device);

 protected:
  void register_parameter(std::string name, Tensor* tensor);
  void register_buffer(std::string name, Tensor* tensor);
  void register_module(std::string name, Module* child);

 private:
  void collect(const std::string& prefix, bool parameters, std::vector<std::pair<std::string, Tensor*>>& out);

  std::vector<std::pair<std::string, Tensor*>> parameters_, buffers_;
  std::vector<std::pair<std::string, Module*>> children_;
  bool training_ = true;
};

}  // namespace heatmark
