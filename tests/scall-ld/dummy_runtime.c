/* Test fixtures only: scall-ld needs no runtime, but the module constructor
 * calls these, so the fixtures link against local do-nothing versions. */
struct scall_module;
void __scall_register_module(struct scall_module *m);
void __scall_unregister_module(struct scall_module *m);
void __scall_register_module(struct scall_module *m) { (void)m; }
void __scall_unregister_module(struct scall_module *m) { (void)m; }
