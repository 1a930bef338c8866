/* The public functions' first step, in C: multiact._dispatcher.Dispatcher.
 *
 * A one-element call's cost is mostly what surrounds the kernel: in Python, the frame of the
 * public function, its backend lookup and its dtype check cost 250-370 ns against PyTorch's
 * 1.1-1.3 us builtins. A Dispatcher holds the public function and a table learned from it:
 *
 *     type(x) -> None                  (this array type always takes the public function)
 *             -> {dtype: kernel}       (a kernel the backend computes x alone with, or the
 *                                       public function itself: its dtype takes the full path)
 *
 * A call f(x) whose type and dtype are in the table calls the kernel directly (a dict lookup,
 * x.dtype, a dict lookup: about 60 ns). Every other call (keywords, more arguments, a type or
 * dtype not seen yet) is the public function's; after one that returns, learn(x) (Python:
 * multiact/_dispatch.py) adds what the call taught. A kernel that raises is not the answer:
 * its dtype is marked for the public function, which computes or words the error, as the
 * generated functions treat Backend.AT_DEFAULTS.
 *
 * Everything else about the object (its name, docstring, __wrapped__, pickling) is set from
 * Python in its instance dict.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stddef.h>

typedef struct {
    PyObject_HEAD
    vectorcallfunc vectorcall;
    PyObject *function; /* the Python public function */
    PyObject *learn;    /* learn(x): called after function(x) returned, on a table miss */
    PyObject *table;    /* type -> None | {dtype: kernel} */
    PyObject *dict;
    PyObject *weakrefs; /* jax.jit and functools caches hold functions weakly */
} Dispatcher;

static PyObject *dtype_name; /* "dtype", interned */

static PyObject *
full_call(Dispatcher *self, PyObject *const *args, size_t nargsf, int learn)
{
    PyObject *result = PyObject_Vectorcall(self->function, args, nargsf, NULL);
    if (result == NULL || !learn) {
        return result;
    }
    PyObject *learned = PyObject_CallOneArg(self->learn, args[0]);
    if (learned == NULL) {
        Py_DECREF(result);
        return NULL;
    }
    Py_DECREF(learned);
    return result;
}

static PyObject *
direct_call(Dispatcher *self, PyObject *per_dtype, PyObject *const *args, size_t nargsf)
{
    PyObject *dtype = PyObject_GetAttr(args[0], dtype_name);
    if (dtype == NULL) {
        return NULL;
    }
    PyObject *kernel = PyDict_GetItemWithError(per_dtype, dtype);
    if (kernel == NULL) {
        Py_DECREF(dtype);
        return PyErr_Occurred() ? NULL : full_call(self, args, nargsf, 1);
    }
    if (kernel == self->function) {
        Py_DECREF(dtype);
        return full_call(self, args, nargsf, 0);
    }
    Py_INCREF(kernel); /* the table may change while it runs */
    PyObject *result = PyObject_Vectorcall(kernel, args, nargsf, NULL);
    Py_DECREF(kernel);
    if (result == NULL && PyErr_ExceptionMatches(PyExc_Exception)) {
        /* Not multiact's answer: the public function words it (or computes it another way);
           this dtype goes to it from now on. */
        PyErr_Clear();
        if (PyDict_SetItem(per_dtype, dtype, self->function) < 0) {
            Py_DECREF(dtype);
            return NULL;
        }
        result = full_call(self, args, nargsf, 0);
    }
    Py_DECREF(dtype);
    return result;
}

static PyObject *
dispatcher_vectorcall(PyObject *op, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    Dispatcher *self = (Dispatcher *)op;
    if (PyVectorcall_NARGS(nargsf) != 1 || (kwnames != NULL && PyTuple_GET_SIZE(kwnames))) {
        return PyObject_Vectorcall(self->function, args, nargsf, kwnames);
    }
    PyObject *per_dtype = PyDict_GetItemWithError(self->table, (PyObject *)Py_TYPE(args[0]));
    if (per_dtype == NULL) {
        return PyErr_Occurred() ? NULL : full_call(self, args, nargsf, 1);
    }
    if (per_dtype == Py_None) {
        return full_call(self, args, nargsf, 0);
    }
    Py_INCREF(per_dtype); /* x.dtype and the kernel may run Python code that clears the table */
    PyObject *result = direct_call(self, per_dtype, args, nargsf);
    Py_DECREF(per_dtype);
    return result;
}

static PyObject *
dispatcher_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    static char *keywords[] = {"function", "learn", "table", NULL};
    PyObject *function, *learn, *table;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOO!:Dispatcher", keywords, &function,
                                     &learn, &PyDict_Type, &table)) {
        return NULL;
    }
    if (!PyCallable_Check(function) || !PyCallable_Check(learn)) {
        PyErr_SetString(PyExc_TypeError, "Dispatcher: function and learn must be callables");
        return NULL;
    }
    Dispatcher *self = (Dispatcher *)type->tp_alloc(type, 0);
    if (self == NULL) {
        return NULL;
    }
    self->vectorcall = dispatcher_vectorcall;
    self->function = Py_NewRef(function);
    self->learn = Py_NewRef(learn);
    self->table = Py_NewRef(table);
    return (PyObject *)self;
}

static int
dispatcher_traverse(Dispatcher *self, visitproc visit, void *arg)
{
    Py_VISIT(self->function);
    Py_VISIT(self->learn);
    Py_VISIT(self->table);
    Py_VISIT(self->dict);
    return 0;
}

static int
dispatcher_clear(Dispatcher *self)
{
    Py_CLEAR(self->function);
    Py_CLEAR(self->learn);
    Py_CLEAR(self->table);
    Py_CLEAR(self->dict);
    return 0;
}

static void
dispatcher_dealloc(Dispatcher *self)
{
    PyObject_GC_UnTrack(self);
    if (self->weakrefs != NULL) {
        PyObject_ClearWeakRefs((PyObject *)self);
    }
    dispatcher_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *
dispatcher_repr(Dispatcher *self)
{
    return PyObject_Repr(self->function);
}

static PyObject *
dispatcher_get_table(Dispatcher *self, void *closure)
{
    return Py_NewRef(self->table);
}

/* isinstance(dispatcher, types.FunctionType) is True, as for wrapt's ObjectProxy: code that
   tells functions from other objects (Keras's serialisation saves a function by its name,
   anything else by its class) takes it for the function it stands in front of. Whatever looks
   inside it (__code__, __globals__, __defaults__: copied into its dict) finds that function's. */
static PyObject *
dispatcher_get_class(Dispatcher *self, void *closure)
{
    return Py_NewRef((PyObject *)Py_TYPE(self->function));
}

static PyGetSetDef dispatcher_getset[] = {
    {"__dict__", PyObject_GenericGetDict, PyObject_GenericSetDict, NULL, NULL},
    {"__class__", (getter)dispatcher_get_class, NULL, "the class of the function", NULL},
    {"table", (getter)dispatcher_get_table, NULL, "type -> None | {dtype: kernel}", NULL},
    {NULL},
};

static PyTypeObject DispatcherType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "multiact._dispatcher.Dispatcher",
    .tp_doc = "Dispatcher(function, learn, table): function(x), through a learned table of "
              "direct kernels for one-argument calls.",
    .tp_basicsize = sizeof(Dispatcher),
    /* No Py_TPFLAGS_METHOD_DESCRIPTOR and no tp_descr_get: like a builtin, a Dispatcher
       stored on a class is not bound to its instances. */
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_new = dispatcher_new,
    .tp_call = PyVectorcall_Call,
    .tp_vectorcall_offset = offsetof(Dispatcher, vectorcall),
    .tp_dictoffset = offsetof(Dispatcher, dict),
    .tp_weaklistoffset = offsetof(Dispatcher, weakrefs),
    .tp_traverse = (traverseproc)dispatcher_traverse,
    .tp_clear = (inquiry)dispatcher_clear,
    .tp_dealloc = (destructor)dispatcher_dealloc,
    .tp_repr = (reprfunc)dispatcher_repr,
    .tp_getset = dispatcher_getset,
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "multiact._dispatcher",
    .m_doc = "The public functions' first step, in C (see multiact/_dispatch.py).",
    .m_size = -1,
};

PyMODINIT_FUNC
PyInit__dispatcher(void)
{
    if (PyType_Ready(&DispatcherType) < 0) {
        return NULL;
    }
    dtype_name = PyUnicode_InternFromString("dtype");
    if (dtype_name == NULL) {
        return NULL;
    }
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) {
        return NULL;
    }
    if (PyModule_AddObjectRef(m, "Dispatcher", (PyObject *)&DispatcherType) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
